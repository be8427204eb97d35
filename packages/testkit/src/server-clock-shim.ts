/**
 * Loaded with `node --import` into a server that `startServerProcess({ shiftableClock: true })`
 * starts, and nowhere else: moves the process's wall clock (`Date.now()`, `new Date()`) forward
 * when the test says so over the IPC channel, the way libfaketime would. Expiry then happens
 * in the server exactly as it would in real time (JWT `exp`, refresh idle timeouts, the
 * provider's tokens), without the test importing the server's source to inject a clock.
 * Timers are not touched: only what the server reads as "now" moves.
 */
const RealDate = Date;
let offsetMs = 0;

class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...(args as [number]));
  }

  static override now(): number {
    return RealDate.now() + offsetMs;
  }
}

globalThis.Date = ShiftedDate as DateConstructor;

process.on('message', (message: unknown) => {
  const request = message as { type?: unknown; advanceMs?: unknown };
  if (request?.type !== 'authlab-testkit:advance-clock' || typeof request.advanceMs !== 'number') return;
  offsetMs += request.advanceMs;
  process.send?.({ type: 'authlab-testkit:clock-advanced', offsetMs });
});
// The channel must not keep a server alive that is shutting down.
process.channel?.unref();
