/**
 * SIGTERM to a worker end to end: a running runner records its last checkpoint as the worker
 * shuts down (its heartbeats are otherwise held back for PROGRESS_INTERVAL_MS), the attempt fails
 * as `WorkerShutdown`, and the next attempt, on another worker, resumes exactly there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { temporal } from '@temporalio/proto';
import { pollProcess, pollUntilEnded, startProcess, stepOf } from '../support/api-client.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
before(async () => {
  stack = await startStack({ workers: 0 });
});
after(() => stack?.stop());

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
/** The first JSON payload (the default data converter's encoding). */
const firstJson = <T>(payloads: Payloads): T =>
  JSON.parse(Buffer.from(payloads?.payloads?.[0]?.data ?? []).toString('utf8')) as T;

interface Heartbeat {
  progress: { message: string };
  checkpoint?: { step: number };
  attempt: number;
}

describe('worker SIGTERM', () => {
  it('a running runner records its last checkpoint and the next attempt resumes exactly there', async () => {
    // Heartbeats at most every 4 s: without a last one at shutdown, the retry would go back up to 4 s.
    const slowBeats = { PROGRESS_INTERVAL_MS: '4000', WORKER_SHUTDOWN_GRACE_MS: '200' };
    const first = await stack.startWorker(slowBeats);
    const steps = 160;
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 16, steps } });
    assert.equal(started.status, 202);
    const self = started.body.links.self;

    // The first heartbeat with a checkpoint arrives after 4 s; then stop 2 s into the next 4.
    const heartbeated = stepOf(await pollProcess(self, (r) => stepOf(r) > 0, { timeoutMs: 30_000 }));
    await sleep(2000);
    await first.stop();

    const handle = stack.client.workflow.getHandle(started.body.id);
    const pending = (await handle.describe()).raw.pendingActivities?.[0];
    assert.ok(pending, 'the runner waits for its next attempt');
    const details = firstJson<Heartbeat>(pending.heartbeatDetails);
    const recorded = details.checkpoint?.step ?? 0;
    assert.equal(pending.lastFailure?.applicationFailureInfo?.type, 'WorkerShutdown');
    // The checkpoint is where the attempt had got to when it stopped (its failure says how far)…
    const reached = firstJson<{ progress: { message: string } }>(
      pending.lastFailure?.applicationFailureInfo?.details,
    );
    assert.equal(reached.progress.message, `step ${recorded}/${steps}`);
    assert.equal(details.progress.message, `step ${recorded}/${steps}`);
    // …which is well past the last throttled heartbeat (2 s of 100 ms steps later).
    assert.ok(recorded >= heartbeated + 5, `checkpoint ${recorded} after the heartbeat at ${heartbeated}`);

    await stack.startWorker();
    const ended = await pollUntilEnded(self, { timeoutMs: 90_000 });
    assert.equal(ended.status, 'succeeded');
    const result = ended.result as { resumedAfterStep: number; attempt: number };
    assert.equal(result.attempt, 2);
    assert.equal(
      result.resumedAfterStep,
      recorded,
      'the next attempt resumed exactly at the last checkpoint',
    );
  });
});
