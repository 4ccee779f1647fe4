/**
 * Workers killed with `kill -9` three times during a batch (two workers, one killed and replaced
 * at a time), each kill aimed at a worker the server shows holding running runners: every process
 * still completes, with a sane result, and the runners each kill hit were retried.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import type { ProcessResource } from '../../src/contract/resources.js';
import { postJson } from '../support/api-client.js';
import { useStack, type TestStack } from '../support/stack.js';
import { busiestWorker, countEventually, describeLog, newRetryLog, waitForEnd } from './support.js';

const total = 200;
// Long enough that runners still run at the third kill: each kill leaves the runners it hit
// waiting out the delay kind's heartbeat timeout (60 s) before another worker retries them.
const seconds = 30;
const steps = 15;
const kills = 3;

let stack: TestStack;
useStack({ workers: 2 }, (started) => {
  stack = started;
});

interface DelayResult {
  seconds: number;
  steps: number;
  resumedAfterStep: number;
  attempt: number;
}

describe('worker crashes', () => {
  it(
    `${total} processes survive ${kills} worker kill -9s, each hitting running runners`,
    { timeout: 300_000 },
    async (t) => {
      const apiUrl = stack.api.url;
      const started = await pool(total, 50, () =>
        postJson(`${apiUrl}/processes`, { kind: 'delay', input: { seconds, steps } }),
      );
      assert.ok(
        started.every((answer) => answer.status === 202),
        'every POST accepted',
      );
      const ids = started.map((answer) => answer.body.id);

      const hits: { pid: number; runners: string[] }[] = [];
      for (let kill = 0; kill < kills; kill++) {
        // Aim at a worker that holds running runners right now, as the server sees it.
        const { worker, runners } = await eventually(
          () => busiestWorker(stack, ids),
          (busiest) => busiest.runners.length > 0,
          { timeoutMs: 60_000, intervalMs: 200, what: 'a live worker holding running runners' },
        );
        await worker!.kill9();
        hits.push({ pid: worker!.pid, runners });
        t.diagnostic(`kill -9 worker ${worker!.pid} holding ${runners.length} running runners`);
        await stack.startWorker();
      }

      const log = newRetryLog();
      const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, ids[i]!, 240_000, log));
      t.diagnostic(`while polling: ${describeLog(log)}`);
      assert.deepEqual(log.serverErrors, [], 'no 5xx answer while polling (no API or server outage here)');
      const attempts = new Map<number, number>();
      const problems: string[] = [];
      for (const final of finals) {
        attempts.set(final.attempt, (attempts.get(final.attempt) ?? 0) + 1);
        const result = final.result as DelayResult | undefined;
        if (final.status !== 'succeeded')
          problems.push(`${final.id}: ${final.status} ${JSON.stringify(final.error)}`);
        else if (
          !result ||
          result.seconds !== seconds ||
          result.steps !== steps ||
          result.attempt !== final.attempt ||
          result.resumedAfterStep < 0 ||
          result.resumedAfterStep > steps ||
          (result.attempt === 1 && result.resumedAfterStep !== 0)
        )
          problems.push(`${final.id}: result ${JSON.stringify(result)} at attempt ${final.attempt}`);
      }
      t.diagnostic(`processes by final attempt: ${JSON.stringify(Object.fromEntries(attempts))}`);
      assert.deepEqual(problems, [], 'every process succeeded with a sane result');

      // Each kill cut runners off mid-run: they needed another attempt.
      const finalOf = new Map<string, ProcessResource>(finals.map((final) => [final.id, final]));
      for (const { pid, runners } of hits) {
        const retried = runners.filter((id) => finalOf.get(id)!.attempt > 1);
        t.diagnostic(`worker ${pid}: ${retried.length} of its ${runners.length} runners retried`);
        // (A runner about to finish may have done so between the look and the kill.)
        assert.ok(retried.length > 0, `the kill of worker ${pid} interrupted running runners`);
      }
      assert.equal(await countEventually(stack, "ExecutionStatus = 'Completed'", total), total);
      assert.equal(await countEventually(stack, undefined, total), total, 'no process lost or duplicated');
    },
  );
});
