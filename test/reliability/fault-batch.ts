/**
 * One batch of `delay` processes with a fault injected while it is in flight, for the cluster
 * fault tests (cluster-faults.test.ts): starts through every API with Idempotency-Keys (a start
 * cut off is retried on the next API), the fault once most of the batch runs and further starts
 * are still on their way, then the checks that nothing was lost or duplicated, through the API
 * (`GET` of each, a list with the batch's filter) and through Temporal's visibility, and how long
 * the fault held processes up (see {@link BatchOutcome}).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, pool } from '../../scripts/launcher.js';
import type { ProcessPage, ProcessResource } from '../../src/contract/resources.js';
import { timestampMs } from '../../src/gateway/timestamps.js';
import { requestJson } from '../support/api-client.js';
import type { TestStack } from '../support/stack.js';
import { pendingRunner } from '../support/temporal.js';
import {
  countEventually,
  describeLog,
  newRetryLog,
  postWithRetry,
  waitAllSucceeded,
  type RetryLog,
} from './support.js';

export interface BatchShape {
  total: number;
  /** Each process's work. */
  seconds: number;
  steps: number;
  /**
   * The fault comes once this many starts are answered: the further starts wait while the runners
   * are looked at, then go, and the fault lands while they are in flight.
   */
  faultAfter: number;
  /** Starts in flight at once, and the pause of each client between two of its starts. */
  concurrency: number;
  pauseMs: number;
  /** How long one process may take to end once all are started (the fault's recovery included). */
  endTimeoutMs: number;
}

/** The batch as the fault finds it. */
export interface InFlight {
  /** A sample of the processes whose start has been answered, spread over the batch (their runners were read). */
  sample: string[];
  /** Idempotency-Keys whose start is not answered yet, each with the API it was first sent to. */
  unanswered: Map<string, string>;
  /** Those of the sample whose runner the server holds as started (read just before the fault). */
  running: string[];
}

/** A check once every process has ended, given their final states and what the clients went through. */
export type Verify = (finals: ProcessResource[], log: RetryLog) => string | Promise<string>;

export interface Fault {
  name: string;
  /**
   * Break something (and bring it back, where the fault is a restart); what it says goes in the
   * test's diagnostics. It may return a check to run once every process has ended (e.g. that the
   * runners of a killed worker were retried).
   */
  inject(batch: InFlight): Promise<{ detail: string; verify?: Verify }>;
  /** Bring back what stayed down through the check (a history instance, a worker, an API). */
  restore?(): Promise<void>;
}

export interface BatchOutcome {
  total: number;
  /** Started and not ended at the fault; starts not yet answered at the fault. */
  runningAtFault: number;
  startsInFlightAtFault: number;
  /**
   * The stall: the longest any process was held up, i.e. the worst over the batch of its end
   * (`completedAt`, the server's close time) minus the moment its first start request was sent
   * minus its own `seconds` of work. A batch without a fault shows the floor (start, scheduling,
   * the last report).
   */
  heldUpMs: number;
  /** The median of the same. */
  heldUpMedianMs: number;
  /** The process held up longest, and its history's events, timed from the fault (or its start without one). */
  worst: { id: string; timeline: string };
  /** The longest interval between two consecutive ends in the batch (starts are paced, so ends are too). */
  longestGapMs: number;
  /** How many processes ended on which attempt. */
  attempts: Record<number, number>;
  detail: string;
  log: RetryLog;
}

const sampleSize = 48;
const iso = (ms: number): string => new Date(ms).toISOString();

/** Run one batch through `apiUrls` with `fault` (none: the floor), and check it ended exactly once per key. */
export async function faultBatch(
  stack: TestStack,
  apiUrls: readonly string[],
  shape: BatchShape,
  fault: Fault | undefined,
  diagnostic: (line: string) => void,
): Promise<BatchOutcome> {
  const batch = randomUUID();
  const log = newRetryLog();
  const sentAt = new Map<string, number>();
  const unanswered = new Map<string, string>();
  const answeredIds: string[] = [];
  let openGate = (): void => {};
  const gate = fault ? new Promise<void>((resolve) => (openGate = resolve)) : Promise.resolve();
  const firstSent = Date.now();
  const starting = pool(shape.total, shape.concurrency, async (i) => {
    if (i >= shape.faultAfter) await gate;
    const key = `${batch}-${i}`;
    // Each client starts with its own API and turns to the next on a failure.
    const urls = apiUrls.map((_, k) => apiUrls[(i + k) % apiUrls.length]!);
    sentAt.set(key, Date.now());
    unanswered.set(key, urls[0]!);
    const body = { kind: 'delay', input: { seconds: shape.seconds, steps: shape.steps } };
    const answer = await postWithRetry(
      urls.map((url) => `${url}/processes`),
      body,
      key,
      log,
    ).finally(() => unanswered.delete(key));
    if (answer.status === 202 || answer.status === 200) answeredIds.push(answer.body.id);
    await sleep(shape.pauseMs);
    return { key, answer };
  });
  starting.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

  let faultAt = 0;
  let detail = 'no fault';
  let verify: Verify | undefined;
  let answeredAtFault: string[] = [];
  let startsInFlightAtFault = 0;
  if (fault) {
    await eventually(
      () => answeredIds.length,
      (n) => n >= shape.faultAfter,
      { timeoutMs: 120_000, intervalMs: 20, what: 'answered starts' },
    );
    // A sample, so that the look takes a moment however loaded the machine is.
    const step = answeredIds.length / sampleSize;
    const sample = Array.from({ length: sampleSize }, (_, i) => answeredIds[Math.floor(i * step)]!);
    const lookedAt = Date.now();
    const runners = await pool(sample.length, 16, (i) => pendingRunner(stack.client, sample[i]!));
    const running = runners.filter((runner) => runner?.state === 'STARTED').map((r) => r!.workflowId);
    const pausedMs = Date.now() - lookedAt;
    assert.equal(log.cutOff.length + log.serverErrors.length, 0, 'no request failed before the fault');
    openGate();
    await eventually(
      () => unanswered.size,
      (n) => n > 0,
      { timeoutMs: 10_000, intervalMs: 0, what: 'a start in flight' },
    );
    faultAt = Date.now();
    answeredAtFault = [...answeredIds];
    startsInFlightAtFault = unanswered.size;
    ({ detail, verify } = await fault.inject({ sample, unanswered, running }));
    detail = `${detail}; ${running.length} of ${sample.length} sampled runners running (starts paused ${pausedMs} ms for the look)`;
    assert.ok(running.length > 0, 'runners were running at the fault');
  }
  const started = await starting;
  const lastAnswered = Date.now();
  diagnostic(`starts: ${describeLog(log)}`);
  assert.deepEqual(
    log.serverErrors.filter((error) => error.status !== 503),
    [],
    'no 5xx but 503 (and never a 500)',
  );
  assert.deepEqual(
    started
      .filter(({ answer }) => answer.status !== 202 && answer.status !== 200)
      .map((s) => s.answer.status),
    [],
    'every start accepted',
  );
  const ids = started.map(({ answer }) => answer.body.id);
  assert.equal(new Set(ids).size, shape.total, 'one process per Idempotency-Key');

  // Every process, read through the API (the first one, which no fault here kills).
  const finals = await waitAllSucceeded(apiUrls[0]!, ids, shape.endTimeoutMs, diagnostic);
  for (const final of finals) {
    const result = final.result as { seconds: number; steps: number } | undefined;
    assert.deepEqual([result?.seconds, result?.steps], [shape.seconds, shape.steps], final.id);
  }
  if (verify) detail = `${detail}; ${await verify(finals, log)}`;

  // Visibility: the batch's window (nothing else starts then) lists exactly the batch, once each.
  const window = { after: iso(firstSent - 1000), before: iso(lastAnswered + 1000) };
  const listed = await eventually(
    () => listAll(apiUrls[0]!, window),
    (items) => items.length === shape.total && items.every((item) => item.status === 'succeeded'),
    { timeoutMs: 30_000, what: 'the batch listed, all succeeded', show: (items) => `${items.length} items` },
  ).catch(() => listAll(apiUrls[0]!, window));
  assert.equal(new Set(listed.map((item) => item.id)).size, listed.length, 'no process listed twice');
  assert.deepEqual(
    listed.map((item) => item.id).sort(),
    [...ids].sort(),
    'the API lists exactly the batch (none lost, none extra)',
  );
  assert.deepEqual(
    listed.filter((item) => item.status !== 'succeeded'),
    [],
    'every listed process succeeded',
  );
  const inWindow = `StartTime > '${window.after}' AND StartTime < '${window.before}'`;
  assert.equal(
    await countEventually(stack, inWindow, shape.total),
    shape.total,
    'visibility counts the batch',
  );
  assert.equal(
    await countEventually(stack, `${inWindow} AND ExecutionStatus = 'Completed'`, shape.total),
    shape.total,
    'visibility counts the batch completed',
  );

  const ends = finals.map((final) => Date.parse(final.completedAt!));
  const endOf = new Map(finals.map((final, i) => [final.id, ends[i]!]));
  const sorted = [...ends].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((end, i) => end - sorted[i]!);
  const attempts: Record<number, number> = {};
  for (const final of finals) attempts[final.attempt] = (attempts[final.attempt] ?? 0) + 1;
  const heldUp = started.map(({ key }, i) => ends[i]! - sentAt.get(key)! - shape.seconds * 1000);
  const worstIndex = heldUp.indexOf(Math.max(...heldUp));
  const worstId = ids[worstIndex]!;
  const median = [...heldUp].sort((a, b) => a - b)[Math.floor(heldUp.length / 2)]!;
  return {
    total: shape.total,
    runningAtFault: answeredAtFault.filter((id) => endOf.get(id)! > faultAt).length,
    startsInFlightAtFault,
    heldUpMs: heldUp[worstIndex]!,
    heldUpMedianMs: median,
    worst: {
      id: worstId,
      timeline: await timeline(stack, worstId, fault ? faultAt : sentAt.get(started[worstIndex]!.key)!),
    },
    longestGapMs: Math.max(0, ...gaps),
    attempts,
    detail,
    log,
  };
}

/** A workflow's history as `event +seconds` from `fromMs`, e.g. `ActivityTaskStarted +3.2`. */
async function timeline(stack: TestStack, workflowId: string, fromMs: number): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((event) => {
      const type = Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? '?';
      const name = type.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase());
      const at = (timestampMs(event.eventTime) ?? fromMs) - fromMs;
      // A runner's start names its attempt, and a retry the failure of the one before.
      const started = event.activityTaskStartedEventAttributes;
      const retry =
        started && (started.attempt ?? 1) > 1
          ? ` (attempt ${started.attempt}, after ${JSON.stringify(started.lastFailure?.message ?? '?')})`
          : '';
      return `${name} ${at >= 0 ? '+' : ''}${(at / 1000).toFixed(1)}${retry}`;
    })
    .join(', ');
}

/** Every process of the default tenant's `delay` kind created in the window, page by page. */
async function listAll(
  apiUrl: string,
  window: { after: string; before: string },
): Promise<ProcessPage['items']> {
  const items: ProcessPage['items'] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({
      kind: 'delay',
      createdAfter: window.after,
      createdBefore: window.before,
      limit: '100',
      ...(cursor && { cursor }),
    });
    const page = await requestJson<ProcessPage>(`${apiUrl}/processes?${query.toString()}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}
