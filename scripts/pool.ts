/** Concurrency and polling helpers of the tests, the benchmarks and the scripts (re-exported by launcher.ts). */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Run `fn(0..count-1)` with at most `concurrency` calls in flight; results in index order. Rejects
 * with the first failure, and starts no further call after it.
 */
export async function pool<T>(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && !failed) {
      const index = next++;
      try {
        results[index] = await fn(index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
  return results;
}

export interface EventuallyOptions<T> {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what: string;
  /** How to show the last value in the error message (default: JSON). */
  show?: (value: T) => string;
}

/**
 * Poll `read()` until `done(value)`, and return that value; fails with the last value when the
 * time is up. The one polling loop of the tests, the benchmarks and the scripts.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 500, what, show = showValue }: EventuallyOptions<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: gave up after ${timeoutMs} ms; last ${show(value)}`);
    await sleep(intervalMs);
  }
}

function showValue(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 2000);
  } catch {
    return '(a value JSON cannot show)';
  }
}
