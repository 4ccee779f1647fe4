import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessState } from '../shared/process-state.js';

/**
 * One server-side wait for a process's end, shared by every request waiting on it. The wait is
 * aborted when its last waiter leaves.
 */
export class SharedWait {
  private waiters = 0;
  private readonly controller = new AbortController();
  private readonly ended: Promise<ProcessState | undefined>;

  constructor(
    start: (signal: AbortSignal) => Promise<ProcessState | undefined>,
    private readonly onDone: (wait: SharedWait) => void,
  ) {
    this.ended = start(this.controller.signal).finally(() => this.onDone(this));
    // A rejection is seen by the waiters; never let it go unhandled when nobody waits.
    this.ended.catch(() => {});
  }

  /** The final state, or `undefined` when `timeoutMs` passed or `signal` aborted first. */
  async join(timeoutMs: number, signal?: AbortSignal): Promise<ProcessState | undefined> {
    this.waiters++;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      onAbort = () => resolve(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.ended.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (--this.waiters === 0) {
        this.onDone(this);
        this.controller.abort();
      }
    }
  }
}

/**
 * Begin `wait` again whenever it fails, with a growing pause, until `signal` aborts (its waiters
 * left): a long poll cut off by a server restart or a dropped connection keeps waiting for the
 * time its callers asked for, instead of answering early. Outcomes of the process itself (it
 * failed, it is gone) are answers of `wait`, not failures.
 */
export async function waitThroughFailures<T>(
  wait: () => Promise<T>,
  signal: AbortSignal,
  firstPauseMs = 250,
): Promise<T> {
  for (let pauseMs = firstPauseMs; ; pauseMs = Math.min(pauseMs * 2, 2_000)) {
    try {
      return await wait();
    } catch (err) {
      if (signal.aborted) throw err;
      await sleep(pauseMs, undefined, { signal }).catch(() => {});
      if (signal.aborted) throw err;
    }
  }
}
