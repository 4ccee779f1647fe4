/**
 * Issue 11 end to end: status comes from what the Temporal server holds, never from a worker;
 * progress reaches readers through heartbeats alone; what the workflow still learns (an attempt
 * that lasts) feeds webhooks and list filters; cancels and crashes are noticed within the kind's
 * heartbeat bounds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { delayPolicyMs } from '../../scripts/delay-policy.js';
import { eventually } from '../../scripts/launcher.js';
import type { ProcessPage, ProcessResource } from '../../src/contract/resources.js';
import {
  cancelProcess,
  pollProcess,
  pollUntilEnded,
  requestJson,
  startProcess,
  stepOf,
} from '../support/api-client.js';
import { openEventStream, WebhookReceiver } from '../support/receivers.js';
import { startStack, type TestStack } from '../support/stack.js';
import { isIdentityOf, pendingRunner } from '../support/temporal.js';

const heartbeatTimeoutMs = delayPolicyMs.heartbeatTimeout;
const keepAliveMs = heartbeatTimeoutMs * 0.8;

let stack: TestStack;
const receivers: WebhookReceiver[] = [];
before(async () => {
  stack = await startStack({ workers: 0 });
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

const delay = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  startProcess(stack.api.url, { kind: 'delay', input, ...extra });

async function timedGet(url: string) {
  const t0 = performance.now();
  const answer = await requestJson(url);
  return { answer, ms: performance.now() - t0 };
}

const nearestRank = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

describe('status from the server', () => {
  it('answers within 200 ms, with the right state, attempt and progress, while the worker is frozen', async () => {
    // Two runner slots: two processes run, the third waits for a slot.
    const worker = await stack.startWorker({ MAX_CONCURRENT_RUNNERS: '2' });
    const started = await Promise.all([
      delay({ seconds: 60, steps: 60 }),
      delay({ seconds: 60, steps: 60 }),
      delay({ seconds: 60, steps: 60 }),
    ]);
    const urls = started.map((s) => s.body.links.self);
    try {
      const seen = await Promise.all(
        urls.map((url) => pollProcess(url, (r) => r.status === 'running' || r.status === 'queued')),
      );
      void seen;
      await eventually(
        () => Promise.all(urls.map((url) => requestJson(url))),
        (answers) => answers.filter((a) => a.body.status === 'running' && stepOf(a.body) >= 2).length === 2,
        { timeoutMs: 30_000, what: 'two runners at step 2' },
      );
      // Saturated beyond saturation: the worker answers nothing (no query, no task) until SIGCONT.
      process.kill(worker.pid, 'SIGSTOP');
      const times: number[] = [];
      const last: ProcessResource[] = [];
      for (let round = 0; round < 10; round++) {
        for (const [i, url] of urls.entries()) {
          const { answer, ms: took } = await timedGet(url);
          times.push(took);
          last[i] = answer.body;
        }
      }
      const running = last.filter((r) => r.status === 'running');
      const queued = last.filter((r) => r.status === 'queued');
      assert.equal(running.length, 2, JSON.stringify(last));
      assert.equal(queued.length, 1, JSON.stringify(last));
      for (const r of running) {
        assert.equal(r.attempt, 1);
        assert.ok(stepOf(r) >= 2, `progress from the last heartbeat: ${JSON.stringify(r.progress)}`);
      }
      assert.equal(queued[0]!.attempt, 0);
      const p90 = nearestRank(times, 90);
      assert.ok(
        p90 <= 200,
        `p90 ${Math.round(p90)} ms over ${times.length} reads (max ${Math.round(Math.max(...times))} ms)`,
      );
      assert.ok(
        Math.max(...times) <= 1000,
        `every read within a second: max ${Math.round(Math.max(...times))} ms`,
      );

      // Waits and event streams do not need the worker either.
      // Which two got the runner slots is the worker's choice: follow one of them.
      const runningUrl = running[0]!.links.self;
      const t0 = performance.now();
      const waited = await requestJson(runningUrl, { headers: { prefer: 'wait=1' } });
      assert.equal(waited.status, 202);
      assert.ok(performance.now() - t0 < 2500, 'Prefer: wait answered after its second');
      const stream = await openEventStream(`${runningUrl}/events`);
      await eventually(
        () => stream.events.length,
        (n) => n >= 1,
        { timeoutMs: 2000, what: 'the first event' },
      );
      stream.abort();
      await stream.closed;
      assert.equal((JSON.parse(stream.events[0]!.data) as ProcessResource).status, 'running');

      // List filters follow the workflow's record: running once an attempt has lasted, else queued.
      const list = async (status: string) =>
        (
          await requestJson<ProcessPage>(`${stack.api.url}/processes?status=${status}&limit=100`)
        ).body.items.map((item) => item.id);
      const ids = started.map((s) => s.body.id);
      const runningIds = running.map((r) => r.id).sort();
      await eventually(
        () => list('running'),
        (listed) => runningIds.every((id) => listed.includes(id)),
        { timeoutMs: 10_000, what: 'status=running lists the running two' },
      );
      const listedQueued = await list('queued');
      assert.ok(listedQueued.includes(queued[0]!.id), 'status=queued lists the one waiting for a slot');
      assert.ok(!runningIds.some((id) => listedQueued.includes(id)));
      assert.ok(ids.every((id) => [...runningIds, queued[0]!.id].includes(id)));
    } finally {
      process.kill(worker.pid, 'SIGCONT');
      await Promise.all(urls.map((url) => cancelProcess(url)));
      await Promise.all(urls.map((url) => pollUntilEnded(url, { timeoutMs: 60_000 })));
      await worker.stop();
    }
  });

  it('progress reaches GET and the event stream within 2 s of its report', async () => {
    const worker = await stack.startWorker();
    try {
      const started = await delay({ seconds: 6, steps: 6 });
      const url = started.body.links.self;
      const stream = await openEventStream(`${url}/events`);
      // Each report's time is in its heartbeat: the resource's updatedAt while its attempt runs.
      const byGet = new Map<string, number>();
      await pollUntilEnded(url, {
        intervalMs: 100,
        onEach: (r) => {
          if (r.status === 'running' && stepOf(r) > 0 && !byGet.has(r.updatedAt))
            byGet.set(r.updatedAt, Date.now());
        },
      });
      await stream.closed;
      const bySse = new Map<string, number>();
      for (const event of stream.events) {
        const r = JSON.parse(event.data) as ProcessResource;
        if (r.status === 'running' && stepOf(r) > 0 && !bySse.has(r.updatedAt))
          bySse.set(r.updatedAt, event.at);
      }
      for (const [how, seen] of [
        ['GET', byGet],
        ['SSE', bySse],
      ] as const) {
        const lags = [...seen].map(([reported, at]) => at - Date.parse(reported));
        assert.ok(lags.length >= 4, `${how}: saw ${lags.length} reports`);
        assert.ok(
          Math.max(...lags) <= 2000,
          `${how}: reports seen ${lags.map(Math.round).join(', ')} ms late`,
        );
      }
    } finally {
      await worker.stop();
    }
  });

  it('sends process.running once, also for a runner that ends within its first second', async () => {
    const worker = await stack.startWorker();
    try {
      const hooks = new WebhookReceiver(stack.webhookSecret);
      receivers.push(hooks);
      const url = await hooks.listen();
      const callback = { url, events: ['process.running', 'process.succeeded'] };
      const quick = await delay({ seconds: 0.2, steps: 1 }, { callback });
      const slow = await delay({ seconds: 3, steps: 3 }, { callback });
      await pollUntilEnded(quick.body.links.self);
      await pollUntilEnded(slow.body.links.self);
      await hooks.waitFor(4);
      await new Promise((resolve) => setTimeout(resolve, 2000)); // nothing more may come
      for (const id of [quick.body.id, slow.body.id]) {
        const types = hooks.deliveries.filter((d) => d.payload.data.id === id).map((d) => d.payload.type);
        assert.deepEqual(types, ['process.running', 'process.succeeded'], id);
      }
      assert.ok(hooks.deliveries.every((d) => d.verified));
    } finally {
      await worker.stop();
    }
  });

  it('a failed attempt waiting for its retry reads queued, says when it is due, and never runs ahead of the server', async () => {
    const worker = await stack.startWorker();
    try {
      const started = await delay({ seconds: 2, steps: 2, failAttempts: 1 });
      const url = started.body.links.self;
      const waiting: ProcessResource[] = [];
      let aheadOfServer: string | undefined;
      const final = await pollUntilEnded(url, {
        intervalMs: 50,
        onEach: (r) => {
          if (r.retry) waiting.push(r);
        },
      });
      assert.equal(final.status, 'succeeded');
      assert.equal(final.attempt, 2);
      assert.ok(waiting.length > 0, 'the wait between attempts was seen');
      for (const r of waiting) {
        assert.equal(r.status, 'queued');
        assert.equal(r.attempt, 1, 'the attempt that failed');
        assert.equal(r.retry?.attempt, 2);
        assert.equal(r.retry?.lastFailure.type, 'TransientFailure');
      }
      assert.ok(waiting.some((r) => r.retry?.dueAt && Date.parse(r.retry.dueAt) > Date.parse(r.updatedAt)));

      // Whenever the API says an attempt runs, the server has it started.
      const second = await delay({ seconds: 3, steps: 3, failAttempts: 1 });
      await pollUntilEnded(second.body.links.self, {
        intervalMs: 50,
        onEach: (r) => {
          if (r.status !== 'running' || aheadOfServer) return;
          void pendingRunner(stack.client, second.body.id).then((runner) => {
            if (
              runner &&
              (runner.attempt < r.attempt || (runner.attempt === r.attempt && runner.state === 'SCHEDULED'))
            )
              aheadOfServer = `API: running attempt ${r.attempt}; server: ${runner.state} attempt ${runner.attempt}`;
          });
        },
      });
      assert.equal(aheadOfServer, undefined);
    } finally {
      await worker.stop();
    }
  });

  it(`a cancel reaches a runner with no news within its keep-alive interval (${keepAliveMs / 1000} s)`, async () => {
    const worker = await stack.startWorker();
    try {
      // One long step: no progress to report, so only keep-alives bring the cancel back.
      const started = await delay({ seconds: 120, steps: 1 });
      const url = started.body.links.self;
      await pollProcess(url, (r) => r.status === 'running');
      const t0 = Date.now();
      const cancel = await cancelProcess(url);
      assert.equal(cancel.status, 202);
      const requested = await pollProcess(url, (r) => r.cancelRequested === true, { timeoutMs: 5000 });
      assert.notEqual(requested.status, 'canceled', 'the runner has not heard yet');
      const final = await pollUntilEnded(url, { timeoutMs: keepAliveMs + 10_000 });
      const elapsed = Date.now() - t0;
      assert.equal(final.status, 'canceled');
      assert.ok(elapsed <= keepAliveMs + 3000, `canceled ${elapsed} ms after the request`);
    } finally {
      await worker.stop();
    }
  });

  it(`recovers a process after kill -9 of its worker within the heartbeat timeout + 2 s (${heartbeatTimeoutMs / 1000 + 2} s)`, async () => {
    const first = await stack.startWorker();
    const second = await stack.startWorker();
    try {
      const started = await delay({ seconds: 60, steps: 60 });
      const url = started.body.links.self;
      await pollProcess(url, (r) => r.status === 'running' && stepOf(r) >= 2, { timeoutMs: 30_000 });
      const runner = await pendingRunner(stack.client, started.body.id);
      const victim = [first, second].find((w) => isIdentityOf(runner?.workerIdentity, w.pid));
      assert.ok(victim, `the worker holding the runner: ${runner?.workerIdentity}`);
      const t0 = Date.now();
      await victim.kill9();
      const resumed = await pollProcess(url, (r) => r.status === 'running' && r.attempt === 2, {
        intervalMs: 100,
        timeoutMs: heartbeatTimeoutMs + 15_000,
      });
      const elapsed = Date.now() - t0;
      assert.ok(elapsed <= heartbeatTimeoutMs + 2000, `attempt 2 ran ${elapsed} ms after the kill`);
      assert.ok(stepOf(resumed) >= 2 || resumed.progress.percent > 0, 'resumed from the checkpoint');
      await cancelProcess(url);
      await pollUntilEnded(url);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
