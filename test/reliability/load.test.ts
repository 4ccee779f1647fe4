/**
 * 1,000 concurrent starts, all in flight at once: every POST answered 202 with its own process,
 * every process succeeded, and visibility holds exactly 1,000 (0 lost, 0 duplicated). No 5xx
 * answer, to a start or while polling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pool } from '../../scripts/launcher.js';
import type { ProcessPage, ProcessResource } from '../../src/contract/resources.js';
import { postJson, requestJson } from '../support/api-client.js';
import { startStack, type TestStack } from '../support/stack.js';
import { countEventually, describeLog, newRetryLog, waitForEnd } from './support.js';

const total = Number(process.env.RELIABILITY_LOAD_PROCESSES ?? 1000);
/** Every POST is sent before the first answer is awaited. */
const inFlight = total;

let stack: TestStack;
/** The processes of the test below, once they have all ended. */
let ended: ProcessResource[] | undefined;
before(async () => {
  stack = await startStack({ workers: 1 });
});
after(async () => {
  await stack?.stop();
});

describe('load', () => {
  it(
    `${total} concurrent POSTs (${inFlight} in flight): ${total} distinct processes, all succeeded`,
    { timeout: 300_000 },
    async (t) => {
      const apiUrl = stack.api.url;
      const t0 = performance.now();
      let outstanding = 0;
      let peak = 0;
      const started = await pool(total, inFlight, async () => {
        peak = Math.max(peak, ++outstanding);
        try {
          return await postJson(`${apiUrl}/processes`, { kind: 'delay', input: { seconds: 0.2, steps: 2 } });
        } finally {
          outstanding--;
        }
      });
      assert.equal(peak, inFlight, `${inFlight} POSTs in flight at once`);
      const statuses = new Map<number, number>();
      for (const answer of started) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      assert.deepEqual([...statuses], [[202, total]], 'every POST accepted');
      t.diagnostic(
        `${total} POSTs (${peak} in flight at once) answered in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const ids = new Set(started.map((answer) => answer.body.id));
      assert.equal(ids.size, total, 'one distinct process per POST');

      const log = newRetryLog();
      const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 240_000, log));
      t.diagnostic(`all ended ${((performance.now() - t0) / 1000).toFixed(1)} s after the first POST`);
      t.diagnostic(`while polling: ${describeLog(log)}`);
      assert.deepEqual(log.serverErrors, [], 'no 5xx answer while polling');
      assert.deepEqual(log.cutOff, [], 'no request cut off');
      const notSucceeded = finals.filter((final) => final.status !== 'succeeded');
      assert.deepEqual(
        notSucceeded.map((final) => `${final.id}: ${final.status}`),
        [],
        'every process succeeded',
      );
      const attempts = new Map<number, number>();
      for (const final of finals) attempts.set(final.attempt, (attempts.get(final.attempt) ?? 0) + 1);
      t.diagnostic(`processes by final attempt: ${JSON.stringify(Object.fromEntries(attempts))}`);
      // Why a runner needed another attempt: the server records the previous attempt's failure.
      for (const final of finals.filter((f) => f.attempt > 1).slice(0, 5)) {
        const history = await stack.client.workflow.getHandle(final.id).fetchHistory();
        const lastStart = [...(history.events ?? [])]
          .reverse()
          .find((e) => e.activityTaskStartedEventAttributes);
        const failure = lastStart?.activityTaskStartedEventAttributes?.lastFailure;
        t.diagnostic(
          `${final.id} attempt ${final.attempt}: the attempt before failed with "${failure?.message}"`,
        );
      }
      for (const final of finals) {
        const result = final.result as { seconds: number; steps: number; attempt: number };
        assert.deepEqual([result.seconds, result.steps, result.attempt], [0.2, 2, final.attempt], final.id);
      }
      ended = finals;

      // Temporal's own count: exactly `total` workflows, all completed.
      assert.equal(await countEventually(stack, undefined, total), total, 'workflows on the task queue');
      assert.equal(
        await countEventually(stack, "ExecutionStatus = 'Completed'", total),
        total,
        'completed workflows',
      );

      // And the API's list, page by page, shows exactly the same processes.
      const listed = new Set<string>();
      let cursor: string | undefined;
      do {
        const query = `status=succeeded&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const { status, body: page } = await requestJson<ProcessPage>(`${apiUrl}/processes?${query}`);
        assert.equal(status, 200);
        for (const item of page.items) {
          assert.ok(!listed.has(item.id), `${item.id} listed twice`);
          listed.add(item.id);
        }
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual([...listed].sort(), [...ids].sort(), 'the list holds exactly the started processes');
    },
  );

  // No runner waits for anything before its work: none may miss its heartbeat timeout and be
  // retried, however loaded the server is by 1,000 starts.
  it('every runner succeeded at its first attempt', () => {
    assert.ok(ended, 'the test above ran to its end');
    for (const final of ended)
      assert.deepEqual(final.result, { seconds: 0.2, steps: 2, resumedAfterStep: 0, attempt: 1 });
  });
});
