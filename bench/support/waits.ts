/**
 * Bounded waits for the bench: every helper takes the measure's AbortSignal and a time limit, so
 * that a hung server, worker or request ends one measure, never the whole run. (The launcher's
 * `pool` and `eventually` in scripts/launcher.ts know no signal; these are the bench's own.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ProcessResource } from '../../src/contract/resources.js';
import { benchAuthorization } from './auth.js';

/** Sleep, ending early (rejecting) when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal });
}

/** The first line of an error's message, for a table cell or a log line. */
export function reasonOf(err: unknown, max = 160): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Poll `read()` until `done(value)`; a failing read is retried at the next poll. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; what: string; signal: AbortSignal },
): Promise<T> {
  const { timeoutMs, intervalMs = 500, what, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing read yet';
  for (;;) {
    signal.throwIfAborted();
    try {
      const value = await read();
      if (done(value)) return value;
      last = `last value ${JSON.stringify(value)}`;
    } catch (err) {
      signal.throwIfAborted();
      last = `last error: ${reasonOf(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (${last})`);
    await pause(intervalMs, signal);
  }
}

/** Run `fn(0..count-1)` with at most `concurrency` in flight; results in index order; stops on abort. */
export async function pool<T>(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<T>,
  signal: AbortSignal,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      signal.throwIfAborted();
      const index = next++;
      results[index] = await fn(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** gRPC codes worth another try: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. */
const transientCodes = new Set([4, 8, 10, 14]);

/** An error a busy machine causes and a later try may not meet (overload, timeouts, dropped connections). */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && transientCodes.has(e.code)) return true;
    if (e instanceof Error && /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|timed? ?out/i.test(e.message))
      return true;
  }
  return false;
}

/**
 * `fn` with up to `attempts` tries of transient errors, backing off 0.5 s, 1 s, 2 s …; `onRetry`
 * is told of each. Anything else, and the last failure, is thrown.
 */
export async function retrying<T>(
  fn: (attempt: number) => Promise<T>,
  options: { attempts: number; signal: AbortSignal; onRetry?: (err: unknown) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= options.attempts || options.signal.aborted || !isTransient(err)) throw err;
      options.onRetry?.(err);
      await pause(500 * 2 ** (attempt - 1), options.signal);
    }
  }
}

/** On a retried start with a fixed workflow id, "already started" means the earlier try got through. */
export function alreadyStarted(err: unknown): boolean {
  return err instanceof WorkflowExecutionAlreadyStartedError;
}

/** A signal that aborts with `signal` or after `timeoutMs`, whichever comes first. */
export function within(signal: AbortSignal, timeoutMs: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

/** An HTTP answer whose body is a process resource (or a problem document). */
export interface ResourceAnswer {
  status: number;
  body: ProcessResource;
}

/** `fetch` with a JSON body and answer, bounded by `timeoutMs` and the measure's signal. */
export async function requestJson(
  url: string,
  options: {
    method?: 'GET' | 'POST';
    body?: unknown;
    headers?: Record<string, string>;
    signal: AbortSignal;
    timeoutMs?: number;
  },
): Promise<ResourceAnswer> {
  const { method = 'GET', body, headers = {}, signal, timeoutMs = 60_000 } = options;
  const response = await fetch(url, {
    method,
    headers: {
      authorization: benchAuthorization(),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: within(signal, timeoutMs),
  });
  return { status: response.status, body: (await response.json()) as ProcessResource };
}
