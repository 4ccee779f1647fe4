/**
 * Crashes and outages end to end: a worker killed mid-run and another one resuming from the
 * runner's checkpoint; every status read while no worker polls at all (proven from the task
 * queue's pollers), answered from what the Temporal server knows.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { delayPolicyMs } from '../../scripts/delay-policy.js';
import { eventually } from '../../scripts/launcher.js';
import {
  cancelProcess,
  pollProcess,
  pollUntilEnded,
  requestJson,
  startProcess,
  stepOf,
  type JsonResponse,
} from '../support/api-client.js';
import { promptPollerHistory, useStack, type TestStack } from '../support/stack.js';
import {
  pendingRunner,
  pollersOf,
  waitUntilNobodyPolls,
  type PendingRunner,
  type Pollers,
} from '../support/temporal.js';

const delayHeartbeatTimeoutMs = delayPolicyMs.heartbeatTimeout;

// Each test starts (and stops) its own workers; pollers are forgotten within about a second.
let stack: TestStack;
useStack({ workers: 0, dynamicConfig: promptPollerHistory }, (started) => {
  stack = started;
});

/** Wait until the server holds a heartbeat of the process's runner with at least `percent` progress. */
function serverHeartbeatReaches(id: string, percent: number): Promise<PendingRunner | undefined> {
  return eventually(
    () => pendingRunner(stack.client, id),
    (runner) => (runner?.heartbeat?.progress.percent ?? -1) >= percent,
    { timeoutMs: 15_000, intervalMs: 50, what: `a heartbeat of ${id} at ${percent}% on the server` },
  );
}

describe('resilience', () => {
  it('a worker killed mid-run: another worker resumes from the checkpoint', async () => {
    try {
      const first = await stack.startWorker();
      const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 12, steps: 12 } });
      const url = started.body.links.self;

      // Let it get some steps done, and the heartbeat that carries the step we saw reach the server.
      const seen = await pollProcess(url, (r) => stepOf(r) >= 4, { timeoutMs: 30_000 });
      const stepsDone = stepOf(seen);
      assert.equal(seen.attempt, 1);
      await serverHeartbeatReaches(started.body.id, seen.progress.percent);
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
      // The server retries the runner once its heartbeat timeout has passed; then the steps left run.
      const final = await pollUntilEnded(url, {
        timeoutMs: delayHeartbeatTimeoutMs + 30_000,
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
    } finally {
      await stack.stopWorkers();
    }
  });
});

describe('every status within 2 s while no worker polls, from what the server knows', () => {
  interface Read {
    answer: JsonResponse;
    ms: number;
  }
  const reads: Record<'running' | 'queued' | 'succeeded' | 'failed' | 'canceled', Read> = {} as never;
  let atKill: PendingRunner | undefined;
  let runnerAfterRead: PendingRunner | undefined;
  let pollersAfterReads: Pollers | undefined;
  /** From the kill: until no poller was listed, and until the running read was answered (ms). */
  const sinceKill = { nobodyPolls: 0, runningRead: 0 };

  before(async () => {
    // Finish processes of every ending while a worker is up, and leave one running on it.
    const worker = await stack.startWorker();
    const done = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 0.5, steps: 1 } });
    const failed = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 0.5, fail: true } });
    const canceled = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 30 } });
    await pollProcess(canceled.body.links.self, (r) => r.status === 'running');
    await cancelProcess(canceled.body.links.self);
    for (const { body } of [done, failed, canceled]) await pollUntilEnded(body.links.self);
    // Two seconds a step: the runner reports progress rarely, and heartbeats every second.
    const running = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 120, steps: 60 } });
    const seen = await pollProcess(running.body.links.self, (r) => stepOf(r) >= 2, { timeoutMs: 30_000 });
    assert.equal(seen.attempt, 1);

    // A fresh API instance: nothing cached, so every answer comes from Temporal.
    const api = await stack.startApi({ terminalCacheSize: 0 });
    const timed = async (id: string): Promise<Read> => {
      const t0 = performance.now();
      const answer = await requestJson(`${api.url}/processes/${id}`);
      return { answer, ms: performance.now() - t0 };
    };

    // Take the only worker away with the runner in its hands, and prove that nobody polls.
    atKill = await serverHeartbeatReaches(running.body.id, seen.progress.percent);
    await worker.kill9();
    const killedAt = performance.now();
    assert.equal(stack.workers.length, 0, 'the test owns every worker, and none is left');
    await waitUntilNobodyPolls(stack.client, stack.taskQueue, 10_000);
    sinceKill.nobodyPolls = performance.now() - killedAt;

    // Running first: its answer comes from the runner's last heartbeat, before its heartbeat timeout runs out.
    reads.running = await timed(running.body.id);
    sinceKill.runningRead = performance.now() - killedAt;
    runnerAfterRead = await pendingRunner(stack.client, running.body.id);
    const pending = await startProcess(api.url, { kind: 'delay', input: { seconds: 1 } });
    assert.equal(pending.status, 202);
    reads.queued = await timed(pending.body.id);
    reads.succeeded = await timed(done.body.id);
    reads.failed = await timed(failed.body.id);
    reads.canceled = await timed(canceled.body.id);
    pollersAfterReads = await pollersOf(stack.client, stack.taskQueue);
    await api.stop();
  });

  it('nobody polled while the API answered', () => {
    assert.deepEqual(pollersAfterReads, { workflow: [], activity: [] });
  });

  it('running: from the last heartbeat', (t) => {
    const { answer, ms } = reads.running;
    t.diagnostic(
      `after the kill: nobody polled at ${Math.round(sinceKill.nobodyPolls)} ms, answered at ${Math.round(sinceKill.runningRead)} ms (heartbeat timeout 5 s)`,
    );
    assert.equal(
      runnerAfterRead?.state,
      'STARTED',
      `the server still holds attempt 1 as started (else this read was too slow): ${JSON.stringify(runnerAfterRead)}`,
    );
    assert.ok(ms < 2000, `running answered in ${Math.round(ms)} ms`);
    assert.equal(answer.status, 202);
    assert.equal(answer.body.status, 'running');
    assert.equal(answer.body.attempt, 1);
    assert.ok(
      answer.body.progress.percent >= atKill!.heartbeat!.progress.percent,
      `progress ${JSON.stringify(answer.body.progress)}, last heartbeat ${JSON.stringify(atKill?.heartbeat)}`,
    );
    assert.equal(answer.body.progress.message, runnerAfterRead?.heartbeat?.progress.message);
  });

  it('queued', () => {
    const { answer, ms } = reads.queued;
    assert.ok(ms < 2000, `queued answered in ${Math.round(ms)} ms`);
    assert.equal(answer.status, 202);
    assert.equal(answer.body.status, 'queued');
    assert.equal(answer.body.kind, 'delay');
    assert.ok(answer.headers.get('location'));
  });

  it('succeeded, with its result', () => {
    const { answer, ms } = reads.succeeded;
    assert.ok(ms < 2000, `succeeded answered in ${Math.round(ms)} ms`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'succeeded');
    assert.deepEqual(answer.body.result, { seconds: 0.5, steps: 1, resumedAfterStep: 0, attempt: 1 });
  });

  it('failed, with its error', () => {
    const { answer, ms } = reads.failed;
    assert.ok(ms < 2000, `failed answered in ${Math.round(ms)} ms`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.error?.type, 'RequestedFailure');
  });

  it('canceled', () => {
    const { answer, ms } = reads.canceled;
    assert.ok(ms < 2000, `canceled answered in ${Math.round(ms)} ms`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'canceled');
  });

  // A canceled workflow's close event carries no details: the orchestrator keeps its final state
  // in its memo, which describe returns without a worker.
  it('canceled: the final state recorded by the workflow', () => {
    const { answer } = reads.canceled;
    assert.equal(answer.body.attempt, 1, 'the final state recorded by the workflow');
    assert.equal(answer.body.cancelRequested, true);
  });
});
