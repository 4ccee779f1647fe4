/**
 * The reliability suite's clients: they retry the way a careful HTTP client would, and keep a log
 * of everything they retried, so that a test can show its fault hit (requests cut off, 503s while
 * Temporal was down) and fail on what no fault excuses (any 500; any 5xx outside an outage).
 * The stack itself is test/support/stack.ts.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventually, pool, type ManagedProcess } from '../../scripts/launcher.js';
import type { ProcessResource } from '../../src/contract/resources.js';
import { processIdForKey } from '../../src/gateway/ids.js';
import { postJson, requestJson, type JsonResponse } from '../support/api-client.js';
import type { TestStack } from '../support/stack.js';
import { isIdentityOf, pendingRunner } from '../support/temporal.js';

export type Answer = JsonResponse;

/** What the clients went through. Times are `Date.now()`. */
export interface RetryLog {
  /** Every 5xx answer, to a start or a status read (500s are never retried). */
  serverErrors: { status: number; at: number; request: string }[];
  /** Requests that got no answer at all (connection refused or reset), by Idempotency-Key for starts. */
  cutOff: { at: number; request: string; key?: string }[];
}

export const newRetryLog = (): RetryLog => ({ serverErrors: [], cutOff: [] });

/** 5xx answers by status, e.g. `{ 503: 12 }`. */
export function serverErrorCounts(log: RetryLog): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of log.serverErrors) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** One line for a test's diagnostics. */
export const describeLog = (log: RetryLog): string =>
  `${log.cutOff.length} requests cut off, 5xx answers ${JSON.stringify(serverErrorCounts(log))}`;

const requestTimeoutMs = 90_000;

/**
 * POST until an answer below 500 arrives, as a client that holds an Idempotency-Key may: a request
 * cut off by a restart (connection refused or reset, 502/503/504) is simply sent again. A 500 is
 * a bug, not an outage: it is returned at once, never retried away. With several URLs (instances
 * of the API), each retry goes to the next one, as a client behind a list of endpoints would.
 */
export async function postWithRetry(
  urls: string | readonly string[],
  body: unknown,
  idempotencyKey: string,
  log: RetryLog,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  const endpoints = typeof urls === 'string' ? [urls] : urls;
  for (let attempt = 1; ; attempt++) {
    const url = endpoints[(attempt - 1) % endpoints.length]!;
    const request = `POST ${url} (key ${idempotencyKey})`;
    try {
      const answer = await postJson(
        url,
        body,
        { ...headers, 'idempotency-key': idempotencyKey },
        { timeoutMs: requestTimeoutMs },
      );
      if (answer.status < 500) return answer;
      log.serverErrors.push({ status: answer.status, at: Date.now(), request });
      if (answer.status === 500) return answer;
    } catch {
      log.cutOff.push({ at: Date.now(), request, key: idempotencyKey });
    }
    if (Date.now() > deadline) throw new Error(`POST (key ${idempotencyKey}) never answered`);
    await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
  }
}

/**
 * GET with `Prefer: wait` until the process has ended (200), retrying through outages: requests
 * cut off and 5xx answers are logged; a 500 fails at once.
 */
export async function waitForEnd(
  apiUrl: string,
  id: string,
  timeoutMs: number,
  log: RetryLog,
): Promise<ProcessResource> {
  const deadline = Date.now() + timeoutMs;
  const request = `GET ${apiUrl}/processes/${id}`;
  let unreachableSince: number | undefined;
  for (;;) {
    let answer: Answer | undefined;
    try {
      answer = await requestJson(`${apiUrl}/processes/${id}`, {
        headers: { prefer: 'wait=20' },
        timeoutMs: requestTimeoutMs,
      });
      unreachableSince = undefined;
    } catch {
      log.cutOff.push({ at: Date.now(), request });
      unreachableSince ??= Date.now();
      // A restart takes seconds; an API gone for a minute is gone (e.g. the test failed and stopped it).
      if (Date.now() - unreachableSince > 60_000) throw new Error(`${request}: no answer for 60 s`);
    }
    if (answer?.status === 200) return answer.body;
    if (answer && answer.status >= 500) {
      log.serverErrors.push({ status: answer.status, at: Date.now(), request });
      if (answer.status === 500) throw new Error(`${request}: 500 ${JSON.stringify(answer.body)}`);
    } else if (answer && answer.status !== 202) {
      throw new Error(`${request}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    if (Date.now() > deadline) throw new Error(`process ${id} did not end within ${timeoutMs} ms`);
    if (answer?.status !== 202) await sleep(500); // the API or Temporal is restarting
  }
}

/** Visibility is eventually consistent: wait until the count settles on the expected value. */
export function countEventually(
  stack: TestStack,
  where: string | undefined,
  expected: number,
  timeoutMs = 30_000,
): Promise<number> {
  return eventually(
    () => stack.count(where),
    (n) => n === expected,
    { timeoutMs, what: `count of ${where ?? 'all'} (expected ${expected})` },
  ).catch(async () => stack.count(where));
}

/** When Temporal accepted the start of an Idempotency-Key's process, if it did. */
export async function acceptedAt(stack: TestStack, key: string): Promise<number | undefined> {
  try {
    return (
      await stack.client.workflow.getHandle(processIdForKey(stack.tenant, key)).describe()
    ).startTime.getTime();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The live worker holding the most runners that the server shows as started, and those processes. */
export async function busiestWorker(
  stack: TestStack,
  ids: readonly string[],
): Promise<{ worker?: ManagedProcess; runners: string[] }> {
  const runners = (await pool(ids.length, 20, (i) => pendingRunner(stack.client, ids[i]!))).filter(
    (runner) => runner?.state === 'STARTED',
  );
  let busiest: { worker?: ManagedProcess; runners: string[] } = { runners: [] };
  for (const worker of stack.workers.filter((w) => w.alive())) {
    const held = runners.filter((r) => isIdentityOf(r?.workerIdentity, worker.pid)).map((r) => r!.workflowId);
    if (held.length > busiest.runners.length) busiest = { worker, runners: held };
  }
  return busiest;
}

/**
 * Wait for every process to end (through outages: see {@link waitForEnd}), then check that no
 * answer was a 5xx but a 503 and that every process succeeded; resolves to their final states.
 */
export async function waitAllSucceeded(
  apiUrl: string,
  ids: readonly string[],
  timeoutMs: number,
  diagnostic: (line: string) => void,
): Promise<ProcessResource[]> {
  const pollLog = newRetryLog();
  const finals = await pool(ids.length, 50, (i) => waitForEnd(apiUrl, ids[i]!, timeoutMs, pollLog));
  diagnostic(`while polling: ${describeLog(pollLog)}`);
  assert.deepEqual(
    pollLog.serverErrors.filter((error) => error.status !== 503),
    [],
    'no 5xx but 503 while polling',
  );
  assert.deepEqual(
    finals.filter((final) => final.status !== 'succeeded').map((final) => `${final.id}: ${final.status}`),
    [],
    'every process succeeded',
  );
  return finals;
}
