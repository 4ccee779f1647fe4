/**
 * The API restarted twice mid-batch, once gracefully (SIGTERM) and once with `kill -9`, while
 * clients keep starting processes. Clients retry with an Idempotency-Key, so a request cut off by
 * a restart is neither lost nor duplicated: exactly N processes, all succeeded.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import {
  countEventually,
  newRetryLog,
  postWithRetry,
  startCluster,
  waitForEnd,
  type Answer,
  type Cluster,
} from './support.js';

const total = 300;

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ workers: 1 });
});
after(async () => {
  await cluster?.stop();
});

describe('API restarts', () => {
  it(
    `${total} idempotent starts across two API restarts: exactly ${total} processes`,
    { timeout: 300_000 },
    async (t) => {
      const apiUrl = cluster.api.url; // the port survives restarts
      const batch = randomUUID();
      const log = newRetryLog();
      let answered = 0;
      const starting = pool(total, 10, async (i): Promise<Answer> => {
        const answer = await postWithRetry(
          `${apiUrl}/processes`,
          { kind: 'delay', input: { seconds: 1, steps: 1 } },
          `${batch}-${i}`,
          log,
        );
        answered++;
        return answer;
      });
      starting.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

      for (const [fraction, how] of [
        [1 / 3, 'sigterm'],
        [2 / 3, 'kill9'],
      ] as const) {
        await eventually(
          () => Promise.resolve(answered),
          (n) => n >= total * fraction,
          { timeoutMs: 120_000, intervalMs: 20, what: 'answered starts' },
        );
        t.diagnostic(`restarting the API (${how}) after ${answered} of ${total} answers`);
        await cluster.restartApi(how);
      }
      const started = await starting;
      t.diagnostic(
        `${log.networkErrors} requests cut off, ${log.retriedStatuses.length} retried 5xx answers (${[...new Set(log.retriedStatuses)].join(', ') || 'none'})`,
      );
      assert.ok(log.networkErrors + log.retriedStatuses.length > 0, 'the restarts cut some requests off');
      assert.ok(!log.retriedStatuses.includes(500), 'no 500 answers');
      // A retried start whose process has meanwhile ended answers 200 with that same process.
      assert.deepEqual(
        started.filter((answer) => answer.status !== 202 && answer.status !== 200).map((a) => a.status),
        [],
        'every start accepted',
      );
      const replayedEnded = started.filter((answer) => answer.status === 200).length;
      t.diagnostic(`${replayedEnded} retried starts found their process already ended (200)`);
      const ids = new Set(started.map((answer) => answer.body.id));
      assert.equal(ids.size, total, 'one process per Idempotency-Key');

      const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 180_000));
      assert.deepEqual(
        finals.filter((final) => final.status !== 'succeeded').map((final) => `${final.id}: ${final.status}`),
        [],
        'every process succeeded',
      );
      assert.equal(await countEventually(cluster, undefined, total), total, 'no process lost or duplicated');
      assert.equal(await countEventually(cluster, "ExecutionStatus = 'Completed'", total), total);
    },
  );
});
