import { html } from '../html.ts';

/** "2026-05-14 09:30 UTC": the server knows no reader's time zone. */
export const readableUtc = (ms: number | string) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A time in UTC; `me.js` rewrites it into the reader's own time zone. */
export const timeTag = (ms: number | string) =>
  html`<time class="local" datetime="${new Date(ms).toISOString()}">${readableUtc(ms)}</time>`;

export function duration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  const [size, unit] = units.find(([size]) => ms >= size && ms % size === 0) ?? [1000, 'second'];
  const count = Math.round(ms / size);
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
