import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDelay, type DelayCheckpoint } from '../../src/activities/delay.js';
import { delayInput, delayKind, type DelayInput } from '../../src/kinds/delay.js';
import type { ProgressSink } from '../../src/activities/progress/sink.js';
import type { RunnerHeartbeat } from '../../src/shared/heartbeat.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { RunnerStarted } from '../../src/shared/signals.js';
import { silentLogger } from '../support/activity.js';

const workflowId = 'process-under-test';

/** A sink that records the "started" notices the runner would have signalled to its workflow. */
function recordingSink() {
  const started: { workflowId: string; report: RunnerStarted }[] = [];
  const sink: ProgressSink = {
    started: (id, report) => {
      started.push({ workflowId: id, report });
      return Promise.resolve();
    },
  };
  return { sink, started };
}

const progressIntervalMs = 50;

/** One attempt of the `delay` runner in a mock activity environment, recording its heartbeats. */
function attemptOf(info: Partial<Info> = {}) {
  const recorded = recordingSink();
  const delay = createDelay({ progress: recorded.sink, progressIntervalMs });
  const env = new MockActivityEnvironment(
    { attempt: 1, workflowExecution: { workflowId, runId: 'run-1' }, heartbeatTimeoutMs: 20_000, ...info },
    { logger: silentLogger },
  );
  const heartbeats: RunnerHeartbeat<DelayCheckpoint>[] = [];
  env.on('heartbeat', (details: RunnerHeartbeat<DelayCheckpoint>) => heartbeats.push(details));
  const run = (input: Partial<DelayInput> & Pick<DelayInput, 'seconds'>) =>
    env.run(delay, delayInput.parse(input));
  return { env, run, heartbeats, ...recorded };
}

/** The checkpoint steps the heartbeats carried, in order, without repeats. */
function checkpointSteps(heartbeats: RunnerHeartbeat<DelayCheckpoint>[]): number[] {
  const steps: number[] = [];
  for (const { checkpoint } of heartbeats) {
    if (checkpoint !== undefined && checkpoint.step !== steps.at(-1)) steps.push(checkpoint.step);
  }
  return steps;
}

const increasing = (values: number[]) => values.every((value, i) => i === 0 || value > values[i - 1]!);

function assertApplicationFailure(type: string, nonRetryable: boolean) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type);
    assert.equal(err.nonRetryable, nonRetryable);
    return true;
  };
}

describe('delay runner', () => {
  it('runs all steps, heartbeating checkpoints with their progress, and tells its workflow once', async () => {
    const { run, heartbeats, started } = attemptOf();

    const result = await run({ seconds: 0.4, steps: 4 });

    assert.deepEqual(result, { seconds: 0.4, steps: 4, resumedAfterStep: 0, attempt: 1 });
    assert.deepEqual(started, [{ workflowId, report: { attempt: 1 } }]);

    const steps = checkpointSteps(heartbeats);
    assert.ok(steps.length >= 2, `checkpoints ${steps.join(',')}`);
    assert.ok(increasing(steps) && steps.every((step) => step >= 1 && step <= 4), steps.join(','));
    for (const { progress: p, checkpoint, attempt } of heartbeats) {
      // A checkpoint always travels with the progress it belongs to, and the attempt that made it.
      assert.equal(attempt, 1);
      if (checkpoint) {
        assert.deepEqual(p, { percent: checkpoint.step * 25, message: `step ${checkpoint.step}/4` });
      }
    }
  });

  it('a run that ends within its first progress interval costs no heartbeat and no signal', async () => {
    const { run, heartbeats, started } = attemptOf();
    const result = await run({ seconds: 0.02, steps: 4 });
    assert.deepEqual(result, { seconds: 0.02, steps: 4, resumedAfterStep: 0, attempt: 1 });
    assert.deepEqual(heartbeats, []);
    assert.deepEqual(started, []);
  });

  it('resumes a retry after the checkpoint the previous attempt heartbeated', async () => {
    const { run, heartbeats, started } = attemptOf({
      attempt: 2,
      heartbeatDetails: { progress: { percent: 30, message: 'step 3/10' }, checkpoint: { step: 3 } },
    });

    const result = await run({ seconds: 1, steps: 10 });

    assert.deepEqual(result, { seconds: 1, steps: 10, resumedAfterStep: 3, attempt: 2 });
    assert.deepEqual(started, [{ workflowId, report: { attempt: 2, resumedFrom: 'step 3/10' } }]);
    // No step up to 3 is redone, and no heartbeat goes back behind what was done.
    const steps = checkpointSteps(heartbeats);
    assert.ok(steps.length >= 2 && increasing(steps), steps.join(','));
    assert.ok(
      steps.every((step) => step >= 4),
      steps.join(','),
    );
    assert.ok(heartbeats.every((h) => h.progress.percent >= 40 && h.attempt === 2));
  });

  it('fails the first `failAttempts` attempts with a retryable TransientFailure, then succeeds', async () => {
    for (const attempt of [1, 2]) {
      const { run, started, heartbeats } = attemptOf({ attempt });
      await assert.rejects(
        run({ seconds: 0.05, steps: 1, failAttempts: 2 }),
        assertApplicationFailure(FailureType.TransientFailure, false),
      );
      // No progress is claimed (the failure itself names the attempt to the workflow).
      assert.deepEqual(heartbeats, []);
      assert.deepEqual(started, []);
    }

    const third = attemptOf({ attempt: 3 });
    const result = await third.run({ seconds: 0.05, steps: 1, failAttempts: 2 });
    assert.deepEqual(result, { seconds: 0.05, steps: 1, resumedAfterStep: 0, attempt: 3 });
  });

  it('fails with a non-retryable RequestedFailure when asked to', async () => {
    const { run, heartbeats } = attemptOf();
    await assert.rejects(
      run({ seconds: 0.05, fail: true }),
      assertApplicationFailure(FailureType.RequestedFailure, true),
    );
    assert.deepEqual(heartbeats, []);
  });

  it('declares the failure types it throws consistently with its retry policy', () => {
    const nonRetryableErrorTypes = delayKind.policy.retry.nonRetryableErrorTypes ?? [];
    assert.ok(nonRetryableErrorTypes.includes(FailureType.RequestedFailure));
    assert.ok(!nonRetryableErrorTypes.includes(FailureType.TransientFailure));
  });

  it('stops at once with a CancelledFailure when cancelled mid-step', async () => {
    const { env, run, heartbeats } = attemptOf();
    const startedAt = Date.now();
    const timer = setTimeout(() => env.cancel(), 300);
    try {
      await assert.rejects(run({ seconds: 30, steps: 10 }), CancelledFailure);
    } finally {
      clearTimeout(timer);
    }
    const elapsed = Date.now() - startedAt;
    assert.ok(elapsed >= 250, `rejected after ${elapsed} ms, before the cancellation`);
    assert.ok(elapsed < 2000, `took ${elapsed} ms to notice the cancellation`);
    // A step takes 3 s: none completed, so no progress was claimed.
    assert.ok(heartbeats.every((h) => h.checkpoint === undefined));
  });
});

describe('delayInput schema', () => {
  const rejects = (input: unknown) => assert.equal(delayInput.safeParse(input).success, false);

  it('fills defaults', () => {
    assert.deepEqual(delayInput.parse({ seconds: 2 }), {
      seconds: 2,
      steps: 10,
      failAttempts: 0,
      fail: false,
    });
  });

  it('keeps given values, fractions of seconds and the bounds themselves', () => {
    assert.deepEqual(delayInput.parse({ seconds: 0.5, steps: 1, failAttempts: 20, fail: true }), {
      seconds: 0.5,
      steps: 1,
      failAttempts: 20,
      fail: true,
    });
    assert.equal(delayInput.parse({ seconds: 3600 }).seconds, 3600);
    assert.equal(delayInput.parse({ seconds: 1, steps: 1000 }).steps, 1000);
  });

  it('rejects seconds out of range or missing', () => {
    rejects({ seconds: 0 });
    rejects({ seconds: -1 });
    rejects({ seconds: 3601 });
    rejects({ seconds: '5' });
    rejects({});
  });

  it('rejects bad steps and failAttempts', () => {
    rejects({ seconds: 1, steps: -1 });
    rejects({ seconds: 1, steps: 0 });
    rejects({ seconds: 1, steps: 2.5 });
    rejects({ seconds: 1, steps: 1001 });
    rejects({ seconds: 1, failAttempts: -1 });
    rejects({ seconds: 1, failAttempts: 21 });
  });

  it('rejects unknown keys, naming them', () => {
    const parsed = delayInput.safeParse({ seconds: 1, sleep: 5 });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.code),
      ['unrecognized_keys'],
    );
    assert.match(parsed.error?.issues[0]?.message ?? '', /sleep/);
  });
});
