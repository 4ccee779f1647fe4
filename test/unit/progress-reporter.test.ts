import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Info } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ProgressReporter } from '../../src/activities/progress/reporter.js';
import type { ProgressSink } from '../../src/activities/progress/sink.js';
import type { RunnerHeartbeat } from '../../src/shared/heartbeat.js';
import type { RunnerStarted } from '../../src/shared/signals.js';
import { silentLogger } from '../support/activity.js';

const workflowId = 'process-under-test';

/** A sink that records the "started" notices the reporter sends. */
function recordingSink(fail = false) {
  const started: RunnerStarted[] = [];
  const sink: ProgressSink = {
    started: (id, report) => {
      assert.equal(id, workflowId);
      started.push(report);
      return fail ? Promise.reject(new Error('signal lost')) : Promise.resolve();
    },
  };
  return { sink, started };
}

/** A logger that keeps the warnings it is given. */
function recordingLogger() {
  const warnings: string[] = [];
  const ignore = () => undefined;
  const logger: Logger = {
    log: (level, message) => {
      if (level === 'WARN') warnings.push(message);
    },
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: (message) => warnings.push(message),
    error: ignore,
  };
  return { logger, warnings };
}

interface Sent {
  details: RunnerHeartbeat<number>;
  at: number;
}

/** An activity environment (the reporter needs an activity context) that records heartbeats and when. */
function activityEnv({ logger = silentLogger, info }: { logger?: Logger; info?: Partial<Info> } = {}) {
  const env = new MockActivityEnvironment(
    { attempt: 1, workflowExecution: { workflowId, runId: 'run-1' }, heartbeatTimeoutMs: 60_000, ...info },
    { logger },
  );
  const heartbeats: Sent[] = [];
  env.on('heartbeat', (details: RunnerHeartbeat<number>) => heartbeats.push({ details, at: Date.now() }));
  return { env, heartbeats };
}

const describeCheckpoint = (checkpoint: number) => `item ${checkpoint}`;

describe('ProgressReporter', () => {
  it("resumes from the previous attempt's heartbeat and keeps the last checkpoint in every later one", async () => {
    const { sink } = recordingSink();
    const { env, heartbeats } = activityEnv({
      info: {
        attempt: 3,
        heartbeatDetails: { progress: { percent: 25, message: 'item 7 done' }, checkpoint: 7, attempt: 2 },
      },
    });
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 50 },
        describeCheckpoint,
      );
      assert.equal(reporter.attempt, 3);
      assert.equal(reporter.resumeFrom, 7);
      reporter.report({ percent: 30, message: 'item 8 done' }, 8);
      await sleep(120);
      reporter.report({ percent: 31, message: 'working on item 9' });
      await sleep(120);
      reporter.close();
    });
    const sent = heartbeats.map(({ details: { progress, checkpoint, attempt } }) => ({
      progress,
      checkpoint,
      attempt,
    }));
    assert.deepEqual(sent, [
      { progress: { percent: 30, message: 'item 8 done' }, checkpoint: 8, attempt: 3 },
      // A report without a checkpoint keeps the last one: a retry must not lose it.
      { progress: { percent: 31, message: 'working on item 9' }, checkpoint: 8, attempt: 3 },
    ]);
    for (const { details } of heartbeats) assert.ok(details.at && Date.parse(details.at) > 0);
  });

  it('heartbeats news at most once per interval, the latest report winning, however often it comes', async () => {
    const { sink } = recordingSink();
    const { env, heartbeats } = activityEnv();
    const progressIntervalMs = 100;
    const reports = 5000;
    let startedAt = 0;
    let endedAt = 0;
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs },
        describeCheckpoint,
      );
      startedAt = Date.now();
      for (let i = 1; i <= reports; i++) {
        reporter.report({ percent: (i / reports) * 100, message: `report ${i}` }, i);
        if (i % 100 === 0) await sleep(20); // spread over about a second
      }
      await sleep(progressIntervalMs * 2);
      endedAt = Date.now();
      reporter.close();
    });
    const elapsed = endedAt - startedAt;
    const limit = Math.floor(elapsed / progressIntervalMs) + 1;
    assert.ok(heartbeats.length >= 3, `only ${heartbeats.length} heartbeat(s) in ${elapsed} ms`);
    assert.ok(
      heartbeats.length <= limit,
      `${heartbeats.length} heartbeats in ${elapsed} ms (limit ${limit})`,
    );
    assert.ok(heartbeats[0]!.at - startedAt >= progressIntervalMs - 5, 'the first news waited one interval');
    for (let i = 1; i < heartbeats.length; i++) {
      const gap = heartbeats[i]!.at - heartbeats[i - 1]!.at;
      assert.ok(gap >= progressIntervalMs - 5, `heartbeats ${i - 1} and ${i} only ${gap} ms apart`);
    }
    // The news held back last is sent without a further report.
    assert.deepEqual(heartbeats.at(-1)?.details.progress, { percent: 100, message: 'report 5000' });
    assert.equal(heartbeats.at(-1)?.details.checkpoint, 5000);
  });

  it('a runner that ends within its first interval never heartbeats nor tells its workflow', async () => {
    const { sink, started } = recordingSink();
    const { env, heartbeats } = activityEnv();
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 200 },
        describeCheckpoint,
      );
      reporter.report({ percent: 100, message: 'done' }, 1);
      await sleep(20);
      reporter.close();
    });
    await sleep(300); // nothing is left to fire after close
    assert.deepEqual(heartbeats, []);
    assert.deepEqual(started, []);
  });

  it('tells its workflow once that an attempt that lasts has started, naming where it resumed', async () => {
    const { sink, started } = recordingSink();
    const { env } = activityEnv({
      info: { attempt: 2, heartbeatDetails: { progress: { percent: 40, message: 'x' }, checkpoint: 4 } },
    });
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 50 },
        describeCheckpoint,
      );
      await sleep(200);
      reporter.close();
    });
    assert.deepEqual(started, [{ attempt: 2, resumedFrom: 'item 4' }]);
  });

  it('keeps an attempt without news alive at 4/5 of its heartbeat timeout, resending the same details', async () => {
    const { sink } = recordingSink();
    const { env, heartbeats } = activityEnv({ info: { heartbeatTimeoutMs: 250 } });
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 20 },
        describeCheckpoint,
      );
      reporter.report({ percent: 10, message: 'step 1' }, 1);
      await sleep(30 + 200 * 3 + 100);
      reporter.close();
    });
    // One news heartbeat, then a keep-alive every 200 ms, each the same details (the same `at`).
    assert.ok(heartbeats.length >= 3 && heartbeats.length <= 5, `${heartbeats.length} heartbeats`);
    for (let i = 1; i < heartbeats.length; i++) {
      assert.deepEqual(heartbeats[i]!.details, heartbeats[0]!.details);
      const gap = heartbeats[i]!.at - heartbeats[i - 1]!.at;
      assert.ok(gap >= 190 && gap < 300, `keep-alives ${gap} ms apart`);
    }
  });

  it('never fails the work when its notice is lost, and logs it', async () => {
    const { sink, started } = recordingSink(true);
    const { logger, warnings } = recordingLogger();
    const { env } = activityEnv({ logger });
    const result = await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 20 },
        describeCheckpoint,
      );
      await sleep(100);
      reporter.close();
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(started.length, 1);
    assert.ok(
      warnings.some((w) => /started/.test(w)),
      warnings.join('; '),
    );
  });

  it('clamps percent to 0..100 (one decimal)', async () => {
    const { sink } = recordingSink();
    const { env, heartbeats } = activityEnv();
    await env.run(async () => {
      const reporter = ProgressReporter.start<number>(
        { progress: sink, progressIntervalMs: 10 },
        describeCheckpoint,
      );
      reporter.report({ percent: 150, message: 'over' });
      await sleep(40);
      reporter.report({ percent: -3, message: 'under' });
      await sleep(40);
      reporter.report({ percent: 33.333333, message: 'third' });
      await sleep(40);
      reporter.close();
    });
    assert.deepEqual(
      heartbeats.map(({ details }) => details.progress.percent),
      [100, 0, 33.3],
    );
  });
});
