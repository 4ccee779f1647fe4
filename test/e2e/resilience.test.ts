/**
 * Crashes and outages end to end: a worker killed mid-run and another one resuming from the
 * runner's checkpoint; status reads with no worker at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cancelProcess,
  pollProcess,
  pollUntilEnded,
  requestJson,
  startProcess,
  stepOf,
} from '../support/api-client.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
before(async () => {
  stack = await startStack({ workers: 0 });
});
after(async () => {
  await stack?.stop();
});

describe('resilience', () => {
  it('a worker killed mid-run: another worker resumes from the checkpoint', async () => {
    const first = await stack.startWorker();
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 12, steps: 12 } });
    const url = started.body.links.self;

    // Let it get some steps done; then give the heartbeat that carries the step we saw time to
    // reach the server (the worker flushes heartbeats at least once a second) before the kill.
    const seen = await pollProcess(url, (r) => stepOf(r) >= 4, { timeoutMs: 30_000 });
    const stepsDone = stepOf(seen);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(seen.attempt, 1);
    await first.kill9();

    // With no worker at all, status still answers within 2 s, progress taken from the last heartbeat.
    const t0 = performance.now();
    const orphaned = await requestJson(url);
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms without a worker`);
    assert.equal(orphaned.status, 202);
    assert.equal(orphaned.body.status, 'running');
    assert.equal(orphaned.body.attempt, 1);
    assert.ok(
      orphaned.body.progress.percent >= (stepsDone - 1) * (100 / 12),
      JSON.stringify(orphaned.body.progress),
    );

    await stack.startWorker();
    const attempts = new Set<number>();
    const final = await pollUntilEnded(url, {
      timeoutMs: 60_000,
      onEach: (r) => attempts.add(r.attempt),
    });
    assert.equal(final.status, 'succeeded');
    assert.equal(final.attempt, 2, 'the second attempt finished the work');
    const result = final.result as { resumedAfterStep: number; attempt: number };
    assert.equal(result.attempt, 2);
    // Completed steps are not redone: the retry started after (at least) the last step seen before the kill.
    assert.ok(
      result.resumedAfterStep >= stepsDone,
      `resumed after step ${result.resumedAfterStep}, ${stepsDone} were done before the kill`,
    );
    assert.ok(result.resumedAfterStep < 12, 'the retry had work left to do');
  });

  it('answers status within 2 s with no worker running, from what the server knows', async () => {
    // Finish one process while a worker is up, then take every worker away.
    const worker = await stack.startWorker();
    const done = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 0.5, steps: 1 } });
    const failed = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 0.5, fail: true } });
    const canceled = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 30 } });
    await pollProcess(canceled.body.links.self, (r) => r.status === 'running');
    await cancelProcess(canceled.body.links.self);
    await pollUntilEnded(done.body.links.self);
    await pollUntilEnded(failed.body.links.self);
    await pollUntilEnded(canceled.body.links.self);
    await worker.stop();

    const pending = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 1 } });
    assert.equal(pending.status, 202);

    // A fresh API instance: nothing cached, so every answer comes from Temporal.
    const api = await stack.startApi({ terminalCacheSize: 0 });
    const timed = async (id: string) => {
      const t0 = performance.now();
      const answer = await requestJson(`${api.url}/processes/${id}`);
      return { answer, ms: performance.now() - t0 };
    };

    const queued = await timed(pending.body.id);
    assert.ok(queued.ms < 2000, `queued answered in ${Math.round(queued.ms)} ms`);
    assert.equal(queued.answer.status, 202);
    assert.equal(queued.answer.body.status, 'queued');
    assert.equal(queued.answer.body.kind, 'delay');
    assert.ok(queued.answer.headers.get('location'));

    const succeeded = await timed(done.body.id);
    assert.ok(succeeded.ms < 2000, `succeeded answered in ${Math.round(succeeded.ms)} ms`);
    assert.equal(succeeded.answer.status, 200);
    assert.equal(succeeded.answer.body.status, 'succeeded');
    assert.deepEqual(succeeded.answer.body.result, {
      seconds: 0.5,
      steps: 1,
      resumedAfterStep: 0,
      attempt: 1,
    });

    const failure = await timed(failed.body.id);
    assert.ok(failure.ms < 2000, `failed answered in ${Math.round(failure.ms)} ms`);
    assert.equal(failure.answer.status, 200);
    assert.equal(failure.answer.body.status, 'failed');
    assert.equal(failure.answer.body.error?.type, 'RequestedFailure');

    const cancellation = await timed(canceled.body.id);
    assert.ok(cancellation.ms < 2000, `canceled answered in ${Math.round(cancellation.ms)} ms`);
    assert.equal(cancellation.answer.status, 200);
    assert.equal(cancellation.answer.body.status, 'canceled');
    assert.equal(cancellation.answer.body.attempt, 1, 'the final state recorded by the workflow');
    assert.equal(cancellation.answer.body.cancelRequested, true);
  });
});
