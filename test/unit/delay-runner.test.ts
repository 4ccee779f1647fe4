import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDelay, type DelayCheckpoint } from '../../src/activities/delay.js';
import { delayInput, delayKind, type DelayInput } from '../../src/kinds/delay.js';
import type { ProgressSink, RunnerHeartbeat } from '../../src/activities/progress.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { RunnerProgress, RunnerStarted } from '../../src/shared/signals.js';
import { silentLogger } from '../support/activity.js';

const workflowId = 'process-under-test';

/** A sink that records what the runner would have signalled to its workflow. */
function recordingSink() {
  const started: { workflowId: string; report: RunnerStarted }[] = [];
  const progress: { workflowId: string; report: RunnerProgress }[] = [];
  const sink: ProgressSink = {
    started: (id, report) => {
      started.push({ workflowId: id, report });
      return Promise.resolve();
    },
    progress: (id, report) => {
      progress.push({ workflowId: id, report });
      return Promise.resolve();
    },
  };
  return { sink, started, progress };
}

/** One attempt of the `delay` runner in a mock activity environment, recording its heartbeats. */
function attemptOf(info: Partial<Info> = {}) {
  const recorded = recordingSink();
  const delay = createDelay({ progress: recorded.sink, progressIntervalMs: 50 });
  const env = new MockActivityEnvironment(
    { attempt: 1, workflowExecution: { workflowId, runId: 'run-1' }, ...info },
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

function assertApplicationFailure(type: string, nonRetryable: boolean) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type);
    assert.equal(err.nonRetryable, nonRetryable);
    return true;
  };
}

describe('delay runner', () => {
  it('runs all steps, heartbeating checkpoints and signalling progress up to 100%', async () => {
    const { run, heartbeats, started, progress } = attemptOf();

    const result = await run({ seconds: 0.2, steps: 4 });

    assert.deepEqual(result, { seconds: 0.2, steps: 4, resumedAfterStep: 0, attempt: 1 });

    assert.deepEqual(started, [{ workflowId, report: { attempt: 1 } }]);

    assert.deepEqual(heartbeats[0]?.progress, { percent: 0, message: 'started' });
    assert.equal(heartbeats[0]?.checkpoint, undefined);
    assert.deepEqual(checkpointSteps(heartbeats), [1, 2, 3, 4]);
    for (const { progress: p, checkpoint } of heartbeats) {
      // A checkpoint always travels with the progress it belongs to.
      if (checkpoint) {
        assert.deepEqual(p, { percent: checkpoint.step * 25, message: `step ${checkpoint.step}/4` });
      }
    }
    assert.deepEqual(heartbeats.at(-1), {
      progress: { percent: 100, message: 'step 4/4' },
      checkpoint: { step: 4 },
    });

    assert.ok(progress.length >= 1);
    assert.ok(progress.every((call) => call.workflowId === workflowId && call.report.attempt === 1));
    const percents = progress.map((call) => call.report.percent);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      'progress never goes back',
    );
    assert.deepEqual(progress.at(-1)?.report, { attempt: 1, percent: 100, message: 'step 4/4' });
  });

  it('delivers the final progress before returning, even when steps outpace the signal interval', async () => {
    const { run, progress } = attemptOf();

    // Steps of 5 ms against a 50 ms signal interval: the last report is held back until flushed.
    await run({ seconds: 0.02, steps: 4 });

    assert.deepEqual(progress.at(-1)?.report, { attempt: 1, percent: 100, message: 'step 4/4' });
  });

  it('resumes a retry after the checkpoint the previous attempt heartbeated', async () => {
    const { run, heartbeats, started, progress } = attemptOf({
      attempt: 2,
      heartbeatDetails: { progress: { percent: 30, message: 'step 3/10' }, checkpoint: { step: 3 } },
    });

    const result = await run({ seconds: 0.5, steps: 10 });

    assert.deepEqual(result, { seconds: 0.5, steps: 10, resumedAfterStep: 3, attempt: 2 });
    assert.deepEqual(started, [{ workflowId, report: { attempt: 2, resumedFrom: 'step 3/10' } }]);

    // Until step 4 completes, heartbeats keep carrying checkpoint 3 (so a crash now still resumes there);
    // no step up to 3 is redone.
    assert.deepEqual(heartbeats[0], {
      progress: { percent: 30, message: 'step 3/10' },
      checkpoint: { step: 3 },
    });
    assert.deepEqual(checkpointSteps(heartbeats), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(heartbeats.every((h) => h.progress.percent >= 30));

    assert.ok(progress.length >= 1);
    for (const { report } of progress) {
      assert.equal(report.attempt, 2);
      assert.ok(report.percent >= 40, `progress ${report.percent}% was already done before the retry`);
    }
    assert.deepEqual(progress.at(-1)?.report, { attempt: 2, percent: 100, message: 'step 10/10' });
  });

  it('fails the first `failAttempts` attempts with a retryable TransientFailure, then succeeds', async () => {
    for (const attempt of [1, 2]) {
      const { run, started, progress } = attemptOf({ attempt });
      await assert.rejects(
        run({ seconds: 0.05, steps: 1, failAttempts: 2 }),
        assertApplicationFailure(FailureType.TransientFailure, false),
      );
      // The workflow still learns that the attempt started, but no progress is claimed.
      assert.deepEqual(started, [{ workflowId, report: { attempt } }]);
      assert.deepEqual(progress, []);
    }

    const third = attemptOf({ attempt: 3 });
    const result = await third.run({ seconds: 0.05, steps: 1, failAttempts: 2 });
    assert.deepEqual(result, { seconds: 0.05, steps: 1, resumedAfterStep: 0, attempt: 3 });
    assert.deepEqual(third.progress.at(-1)?.report, { attempt: 3, percent: 100, message: 'step 1/1' });
  });

  it('fails with a non-retryable RequestedFailure when asked to', async () => {
    const { run, started, progress } = attemptOf();
    await assert.rejects(
      run({ seconds: 0.05, fail: true }),
      assertApplicationFailure(FailureType.RequestedFailure, true),
    );
    assert.deepEqual(started, [{ workflowId, report: { attempt: 1 } }]);
    assert.deepEqual(progress, []);
  });

  it('declares the failure types it throws consistently with its retry policy', () => {
    const nonRetryableErrorTypes = delayKind.policy.retry.nonRetryableErrorTypes ?? [];
    assert.ok(nonRetryableErrorTypes.includes(FailureType.RequestedFailure));
    assert.ok(!nonRetryableErrorTypes.includes(FailureType.TransientFailure));
  });

  it('stops promptly with a CancelledFailure when cancelled mid-step', async () => {
    const { env, run, progress } = attemptOf();
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
    assert.deepEqual(progress, []);
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
