/** Backoff between failed attempts: exponential, capped, with full jitter (so receivers are not stampeded). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(3_600_000, 1000 * 2 ** Math.min(attempt - 1, 22));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; capped at an hour. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : undefined;
}
