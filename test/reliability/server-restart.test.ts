/**
 * The Temporal dev server (persistent SQLite file) killed and restarted mid-batch, while runners
 * run and clients keep starting processes: every process completes, exactly once.
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

const total = 100;

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ workers: 1, persistent: true });
});
after(async () => {
  await cluster?.stop();
});

describe('Temporal server restart', () => {
  it(`${total} processes across a dev server kill -9 and restart`, { timeout: 300_000 }, async (t) => {
    const apiUrl = cluster.api.url;
    const batch = randomUUID();
    const log = newRetryLog();
    let answered = 0;
    // Paced starts, so that the batch spans the outage: some runners mid-run, some starts refused.
    const starting = pool(total, 5, async (i): Promise<Answer> => {
      const answer = await postWithRetry(
        `${apiUrl}/processes`,
        { kind: 'delay', input: { seconds: 4, steps: 4 } },
        `${batch}-${i}`,
        log,
      );
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return answer;
    });
    starting.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

    await eventually(
      () => Promise.resolve(answered),
      (n) => n >= total / 2,
      { timeoutMs: 120_000, intervalMs: 20, what: 'answered starts' },
    );
    const runningBefore = await cluster.count("LongrunStatus = 'running'");
    const t0 = Date.now();
    await cluster.restartServer('kill9');
    t.diagnostic(
      `dev server killed with ${answered} of ${total} started (${runningBefore} running); back in ${Date.now() - t0} ms`,
    );

    const started = await starting;
    t.diagnostic(
      `${log.networkErrors} requests cut off, ${log.retriedStatuses.length} retried 5xx answers (${[...new Set(log.retriedStatuses)].join(', ') || 'none'})`,
    );
    assert.ok(!log.retriedStatuses.includes(500), 'no 500 answers');
    assert.deepEqual(
      started.filter((answer) => answer.status !== 202).map((answer) => answer.status),
      [],
      'every start accepted',
    );
    const ids = new Set(started.map((answer) => answer.body.id));
    assert.equal(ids.size, total, 'one process per Idempotency-Key');

    const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 180_000));
    assert.deepEqual(
      finals.filter((final) => final.status !== 'succeeded').map((final) => `${final.id}: ${final.status}`),
      [],
      'every process succeeded',
    );
    const attempts = new Map<number, number>();
    for (const final of finals) {
      const result = final.result as { seconds: number; steps: number } | undefined;
      assert.deepEqual([result?.seconds, result?.steps], [4, 4], final.id);
      attempts.set(final.attempt, (attempts.get(final.attempt) ?? 0) + 1);
    }
    t.diagnostic(`processes by final attempt: ${JSON.stringify(Object.fromEntries(attempts))}`);
    assert.equal(await countEventually(cluster, undefined, total), total, 'no process lost or duplicated');
    assert.equal(await countEventually(cluster, "ExecutionStatus = 'Completed'", total), total);
  });
});
