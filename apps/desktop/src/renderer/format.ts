/** `14:05` (min:s) under an hour, `2 h 05 min` above, `expired` at zero. */
export function formatTimeLeft(ms: number): string {
  if (ms <= 0) return 'expired';
  const seconds = Math.ceil(ms / 1000);
  if (seconds >= 3600) {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  }
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** `14:03:27`, the local wall-clock time. */
export function formatClock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** Claims as readable JSON, with `iat`/`exp`/`nbf`/`auth_time` also shown as times. */
export function formatClaims(claims: Record<string, unknown>): string {
  const lines = JSON.stringify(claims, null, 2).split('\n');
  return lines
    .map((line) => {
      const match = /^\s*"(iat|exp|nbf|auth_time)": (\d+),?$/.exec(line);
      return match ? `${line}   // ${formatClock(Number(match[2]) * 1000)}` : line;
    })
    .join('\n');
}
