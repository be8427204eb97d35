/**
 * A clock the test moves by hand (expiry without sleeping).
 *
 * @example
 * const clock = manualClock();
 * clock.advance(16 * 60_000); // an access token of 15 minutes has expired
 */
export function manualClock(start = Date.now()) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

export type ManualClock = ReturnType<typeof manualClock>;
