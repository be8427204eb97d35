/**
 * How long a credential keeps working, measured on the lab clock: ask once now, then move the
 * server's clock forward one minute at a time and ask again, until the answer is 401 or the cap
 * is reached. No waiting: a quarter of an hour passes in a few requests.
 */
import type { LabTarget } from '@authlab/lab-kit';

const MINUTE_MS = 60_000;

/**
 * Whole minutes from now until `GET /api/me` with `accessToken` is refused: 0 when it is refused
 * at once, `null` when it still works after `capMinutes`.
 */
export async function minutesUntilRefused(
  lab: LabTarget,
  accessToken: string,
  capMinutes: number,
): Promise<number | null> {
  for (let minute = 0; minute <= capMinutes; minute += 1) {
    if (minute > 0) await lab.advanceClock(MINUTE_MS);
    const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (me.status === 401) return minute;
    if (me.status !== 200) throw new Error(`GET /api/me answered ${me.status}, neither 200 nor 401`);
  }
  return null;
}
