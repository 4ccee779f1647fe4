import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as settle, setTimeout as sleep } from 'node:timers/promises';
import type { Info } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ProgressReporter, type ProgressSink, type RunnerHeartbeat } from '../../src/activities/progress.js';
import type { RunnerProgress, RunnerStarted } from '../../src/shared/signals.js';

const workflowId = 'process-under-test';

interface SentProgress {
  report: RunnerProgress;
  /** `Date.now()` when the sink was called. */
  at: number;
}

/** A sink that records the signals the reporter sends, with the time each was sent. */
function recordingSink() {
  const started: RunnerStarted[] = [];
  const progress: SentProgress[] = [];
  const sink: ProgressSink = {
    started: (id, report) => {
      assert.equal(id, workflowId);
      started.push(report);
      return Promise.resolve();
    },
    progress: (id, report) => {
      assert.equal(id, workflowId);
      progress.push({ report, at: Date.now() });
      return Promise.resolve();
    },
  };
  return { sink, started, progress };
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

/** An activity environment (the reporter needs an activity context) that records heartbeats. */
function activityEnv({ logger, info }: { logger?: Logger; info?: Partial<Info> } = {}) {
  const env = new MockActivityEnvironment(
    { attempt: 1, workflowExecution: { workflowId, runId: 'run-1' }, ...info },
    logger ? { logger } : {},
  );
  const heartbeats: RunnerHeartbeat<number>[] = [];
  env.on('heartbeat', (details: RunnerHeartbeat<number>) => heartbeats.push(details));
  return { env, heartbeats };
}

const describeCheckpoint = (checkpoint: number) => `item ${checkpoint}`;

/** Polls until `condition` holds; fails after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

describe('ProgressReporter', () => {
  it("heartbeats every report with the latest checkpoint, starting from the previous attempt's", async () => {
    const { sink, started, progress } = recordingSink();
    const { env, heartbeats } = activityEnv({
      info: {
        attempt: 3,
        heartbeatDetails: { progress: { percent: 25, message: 'item 7 done' }, checkpoint: 7 },
      },
    });

    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs: 1000 }, describeCheckpoint);
      assert.equal(reporter.attempt, 3);
      assert.equal(reporter.resumeFrom, 7);
      reporter.heartbeat();
      reporter.report({ percent: 30, message: 'item 8 done' }, 8);
      reporter.report({ percent: 31, message: 'working on item 9' });
      reporter.heartbeat();
      await reporter.flush();
    });

    assert.deepEqual(started, [{ attempt: 3, resumedFrom: 'item 7' }]);
    assert.deepEqual(heartbeats, [
      { progress: { percent: 25, message: 'item 7 done' }, checkpoint: 7 },
      { progress: { percent: 25, message: 'item 7 done' }, checkpoint: 7 },
      { progress: { percent: 30, message: 'item 8 done' }, checkpoint: 8 },
      // A report without a checkpoint keeps the last one: a retry must not lose it.
      { progress: { percent: 31, message: 'working on item 9' }, checkpoint: 8 },
      { progress: { percent: 31, message: 'working on item 9' }, checkpoint: 8 },
    ]);
    assert.deepEqual(progress.at(-1)?.report, { attempt: 3, percent: 31, message: 'working on item 9' });
  });

  it('sends at most one progress signal per interval however often the runner reports', async () => {
    const { sink, started, progress } = recordingSink();
    const { env, heartbeats } = activityEnv();
    const minIntervalMs = 200;
    const reports = 5000;

    let elapsedMs = 0;
    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs }, describeCheckpoint);
      const startedAt = Date.now();
      for (let i = 1; i <= reports; i++) {
        reporter.report({ percent: (i / reports) * 100, message: `report ${i}` }, i);
        // Spread the reports over about a second.
        if (i % 100 === 0) await sleep(20);
      }
      await reporter.flush();
      elapsedMs = Date.now() - startedAt;
    });

    assert.deepEqual(started, [{ attempt: 1 }]);

    // Every report is heartbeated (the SDK throttles those), the latest checkpoint riding along.
    assert.equal(heartbeats.length, reports + 1);
    assert.deepEqual(heartbeats.at(-1), {
      progress: { percent: 100, message: 'report 5000' },
      checkpoint: 5000,
    });

    // Signals: at most one per interval, plus the one `flush` may send early.
    const limit = Math.floor(elapsedMs / minIntervalMs) + 3;
    assert.ok(progress.length >= 2, `only ${progress.length} signal(s) in ${elapsedMs} ms`);
    assert.ok(progress.length <= limit, `${progress.length} signals in ${elapsedMs} ms (limit ${limit})`);
    for (let i = 1; i < progress.length - 1; i++) {
      const gap = progress[i]!.at - progress[i - 1]!.at;
      assert.ok(gap >= minIntervalMs - 20, `signals ${i - 1} and ${i} only ${gap} ms apart`);
    }
    const percents = progress.map(({ report }) => report.percent);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
    );

    // After flush the workflow has the very last report.
    assert.deepEqual(progress.at(-1)?.report, { attempt: 1, percent: 100, message: 'report 5000' });
  });

  it('delivers a report held back by the interval without a further report or flush', async () => {
    const { sink, progress } = recordingSink();
    const { env } = activityEnv();
    const minIntervalMs = 200;

    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs }, describeCheckpoint);
      reporter.report({ percent: 10, message: 'first' });
      assert.equal(progress.length, 1, 'the first report goes at once');
      reporter.report({ percent: 20, message: 'second' });
      assert.equal(progress.length, 1, 'the second report is held back');

      await waitFor(() => progress.length >= 2, minIntervalMs + 3000, 'the held-back report');
    });

    assert.deepEqual(
      progress.map(({ report }) => report),
      [
        { attempt: 1, percent: 10, message: 'first' },
        { attempt: 1, percent: 20, message: 'second' },
      ],
    );
    const gap = progress[1]!.at - progress[0]!.at;
    assert.ok(gap >= minIntervalMs - 20, `held back only ${gap} ms`);
  });

  it('does not re-send a report that has not changed', async () => {
    const { sink, progress } = recordingSink();
    const { env } = activityEnv();

    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs: 50 }, describeCheckpoint);
      for (let i = 0; i < 20; i++) reporter.report({ percent: 50, message: 'same' });
      await sleep(120);
      reporter.report({ percent: 50, message: 'same' });
      await reporter.flush();
    });

    assert.deepEqual(
      progress.map(({ report }) => report),
      [{ attempt: 1, percent: 50, message: 'same' }],
    );
  });

  it('holds a change of message alone for 1% of the elapsed time, a percent rise only for the interval', async (t) => {
    // Simulated clock: pretend the attempt has been running for a minute.
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const { sink, progress } = recordingSink();
    const { env } = activityEnv();

    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs: 200 }, describeCheckpoint);
      t.mock.timers.tick(60_000);

      reporter.report({ percent: 10, message: 'a' });
      await settle();
      assert.equal(progress.length, 1);

      // Message only: held for about 1% of 60 s = 600 ms, well past the 200 ms interval.
      reporter.report({ percent: 10, message: 'b' });
      await settle();
      t.mock.timers.tick(599);
      await settle();
      assert.equal(progress.length, 1, 'a message-only change went before 1% of the elapsed time');
      t.mock.timers.tick(1000);
      await settle();
      assert.equal(progress.length, 2, 'the message-only change was never sent');
      assert.equal(progress[1]?.report.message, 'b');

      // A whole-percent rise: held only for the interval.
      reporter.report({ percent: 11, message: 'c' });
      await settle();
      t.mock.timers.tick(199);
      await settle();
      assert.equal(progress.length, 2, 'a percent rise went before the interval');
      t.mock.timers.tick(1);
      await settle();
      assert.equal(progress.length, 3, 'a percent rise was held longer than the interval');
      assert.deepEqual(progress[2]?.report, { attempt: 1, percent: 11, message: 'c' });
    });
  });

  it('never fails the work when the sink fails, and logs each lost signal', async () => {
    const { logger, warnings } = recordingLogger();
    const { env } = activityEnv({ logger });
    const calls: string[] = [];
    let throwSynchronously = false;
    const fail = (what: string): Promise<void> => {
      calls.push(what);
      if (throwSynchronously) throw new Error(`${what}: thrown`);
      return Promise.reject(new Error(`${what}: rejected`));
    };
    const failingSink: ProgressSink = {
      started: () => fail('started'),
      progress: (_id, report) => fail(report.message),
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    try {
      await env.run(async () => {
        const reporter = await ProgressReporter.start(failingSink, { minIntervalMs: 50 }, describeCheckpoint);
        reporter.report({ percent: 10, message: 'sent at once' });
        reporter.report({ percent: 20, message: 'sent by timer' });
        await sleep(150);
        throwSynchronously = true;
        reporter.report({ percent: 30, message: 'sent at once, throws' });
        reporter.report({ percent: 40, message: 'sent by flush' });
        await reporter.flush();
      });
      await sleep(10);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    assert.deepEqual(calls, [
      'started',
      'sent at once',
      'sent by timer',
      'sent at once, throws',
      'sent by flush',
    ]);
    assert.equal(warnings.filter((message) => message === 'progress signal failed').length, calls.length);
    assert.deepEqual(unhandled, []);
  });

  it('clamps percent to 0..100 (one decimal) in heartbeats and signals', async () => {
    const { sink, progress } = recordingSink();
    const { env, heartbeats } = activityEnv();

    await env.run(async () => {
      const reporter = await ProgressReporter.start(sink, { minIntervalMs: 0 }, describeCheckpoint);
      for (const percent of [-5, 150, Number.NaN, 42.345]) {
        reporter.report({ percent, message: `reported ${percent}` });
        await settle();
      }
      await reporter.flush();
    });

    assert.deepEqual(
      heartbeats.slice(1).map((h) => h.progress.percent),
      [0, 100, 0, 42.3],
    );
    assert.ok(progress.length >= 1);
    for (const { report } of progress) {
      assert.ok(report.percent >= 0 && report.percent <= 100, `signalled ${report.percent}%`);
    }
    assert.deepEqual(progress.at(-1)?.report, { attempt: 1, percent: 42.3, message: 'reported 42.345' });
  });
});
