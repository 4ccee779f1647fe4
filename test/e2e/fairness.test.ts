/**
 * Fairness between tenants end to end: a worker with MAX_CONCURRENT_RUNNERS=10, tenant A with a
 * backlog of 1,000 processes waiting for a runner, then tenant B starts one. With task-queue
 * fairness (a fairness key per tenant, `matching.enableFairness` on the dev server) B's runner
 * starts within 10 s; first in, first out it would wait for most of A's backlog (minutes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import { jsonRequest, requestJson } from '../support/api-client.js';
import { startStack, type TestStack } from '../support/stack.js';

const runners = 10;
const waiting = 1000;

let stack: TestStack;
before(async () => {
  stack = await startStack({ workers: 0 });
  await stack.startWorker({ MAX_CONCURRENT_RUNNERS: String(runners) });
});
after(async () => {
  await stack?.stop();
});

describe('fairness between tenants', () => {
  it(
    `B's runner starts within 10 s while A has ${waiting} processes waiting for ${runners} runners`,
    { timeout: 300_000 },
    async (t) => {
      const keyA = await stack.createKey({ tenant: 'flood' });
      const keyB = await stack.createKey({ tenant: 'trickle' });
      await eventually(
        () =>
          Promise.all(
            [keyA, keyB].map((apiKey) => requestJson(`${stack.api.url}/processes?limit=1`, { apiKey })),
          ),
        (answers) => answers.every((a) => a.status === 200),
        { timeoutMs: 10_000, intervalMs: 100, what: 'the API to load the keys' },
      );
      // Each of A's runners takes 4 s: 10 runners drain A's backlog at about 2.5 a second (7 minutes).
      const body = { kind: 'delay', input: { seconds: 4, steps: 1 } };
      const startA = async (count: number) =>
        pool(count, 20, async () => {
          const answer = await requestJson(`${stack.api.url}/processes`, {
            ...jsonRequest(body),
            apiKey: keyA,
          });
          assert.equal(answer.status, 202, JSON.stringify(answer.body));
        });
      const began = Date.now();
      await startA(waiting + runners);
      t.diagnostic(`${waiting + runners} starts of A in ${Date.now() - began} ms`);

      // A's runners are turning over (some of A's processes have ended) ...
      const openA = "LongrunTenant = 'flood' AND ExecutionStatus = 'Running'";
      await eventually(
        () => stack.count("LongrunTenant = 'flood' AND ExecutionStatus = 'Completed'"),
        (n) => n >= 1,
        { timeoutMs: 60_000, intervalMs: 500, what: "A's runners to run" },
      );
      // ... and A has 1,000 waiting besides the 10 running: top up what they drained meanwhile.
      let backlog = await stack.count(openA);
      for (let round = 0; round < 10 && backlog < waiting + runners; round++) {
        await startA(waiting + runners - backlog + 10); // a few more: A's runners keep draining meanwhile
        await new Promise((resolve) => setTimeout(resolve, 1000)); // visibility lags a little
        backlog = await stack.count(openA);
      }
      assert.ok(backlog >= waiting + runners, `A has ${backlog} open processes`);

      const startedB = Date.now();
      const b = await requestJson(`${stack.api.url}/processes`, { ...jsonRequest(body), apiKey: keyB });
      assert.equal(b.status, 202);
      const running = await eventually(
        () => requestJson(b.body.links.self, { apiKey: keyB }),
        (answer) => answer.body.status !== 'queued',
        { timeoutMs: 60_000, intervalMs: 100, what: "B's runner to start" },
      );
      const tookMs = Date.now() - startedB;
      const leftA = await stack.count(openA);
      t.diagnostic(
        `B's runner started after ${tookMs} ms; A still had ${leftA} open (of ${backlog} at B's start)`,
      );
      assert.ok(['running', 'succeeded'].includes(running.body.status), running.body.status);
      assert.ok(tookMs <= 10_000, `B's runner started after ${tookMs} ms`);
      // Not because A's backlog had drained: most of it was still there.
      assert.ok(leftA >= waiting / 2, `A still had ${leftA} open`);
    },
  );
});
