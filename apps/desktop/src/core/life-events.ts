/** The slice of Electron's `powerMonitor` the app listens to. */
export interface PowerMonitorLike {
  on(event: 'resume', listener: () => void): unknown;
  off(event: 'resume', listener: () => void): unknown;
}

export interface LifeEventOptions {
  powerMonitor: PowerMonitorLike;
  /** Electron's `net.isOnline()`. */
  isOnline: () => boolean;
  /** What to do: refresh every signed-in panel, saying why. */
  refreshAll: (reason: string) => Promise<void>;
  /** How often connectivity is polled (Electron has no "online" event in the main process). */
  pollMs?: number;
  /** `setInterval`, injectable so tests step it by hand; returns the stop function. */
  every?: (ms: number, task: () => void) => () => void;
}

const realEvery = (ms: number, task: () => void) => {
  const timer = setInterval(task, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Refreshes after the computer wakes up (`powerMonitor` `resume`: the access tokens may have
 * expired while it slept, and the refresh timer did not fire) and when the network comes back
 * after being down (a refresh that failed offline kept the tokens; now it can succeed). Returns
 * the function that stops listening.
 *
 * @example
 * const stop = watchLifeEvents({ powerMonitor, isOnline: () => net.isOnline(), refreshAll: core.refreshAll });
 */
export function watchLifeEvents(options: LifeEventOptions): () => void {
  const { powerMonitor, isOnline, refreshAll } = options;
  const run = (reason: string) => {
    refreshAll(reason).catch(() => {
      // Each panel reports its own failure.
    });
  };
  const onResume = () => run('The computer woke up: refreshing signed-in panels');
  powerMonitor.on('resume', onResume);

  let online = isOnline();
  const stopPolling = (options.every ?? realEvery)(options.pollMs ?? 5_000, () => {
    const now = isOnline();
    if (now && !online) run('The network is back: refreshing signed-in panels');
    online = now;
  });

  return () => {
    powerMonitor.off('resume', onResume);
    stopPolling();
  };
}
