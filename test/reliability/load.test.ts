/**
 * 1,000 concurrent starts: every POST answered 202 with its own process, every process
 * succeeded, and visibility holds exactly 1,000 (0 lost, 0 duplicated).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pool } from '../../scripts/launcher.js';
import type { ProcessPage } from '../../src/contract/resources.js';
import { countEventually, post, startCluster, waitForEnd, type Cluster } from './support.js';

const total = Number(process.env.RELIABILITY_LOAD_PROCESSES ?? 1000);
const inFlight = 100;

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ workers: 1 });
});
after(async () => {
  await cluster?.stop();
});

describe('load', () => {
  it(
    `${total} concurrent POSTs: ${total} distinct processes, all succeeded`,
    { timeout: 300_000 },
    async (t) => {
      const apiUrl = cluster.api.url;
      const t0 = performance.now();
      const started = await pool(total, inFlight, () =>
        post(`${apiUrl}/processes`, { kind: 'delay', input: { seconds: 0.2, steps: 2 } }),
      );
      const statuses = new Map<number, number>();
      for (const answer of started) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      assert.deepEqual([...statuses], [[202, total]], 'every POST accepted');
      t.diagnostic(`${total} POSTs answered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const ids = new Set(started.map((answer) => answer.body.id));
      assert.equal(ids.size, total, 'one distinct process per POST');

      const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 240_000));
      t.diagnostic(`all ended ${((performance.now() - t0) / 1000).toFixed(1)} s after the first POST`);
      const notSucceeded = finals.filter((final) => final.status !== 'succeeded');
      assert.deepEqual(
        notSucceeded.map((final) => `${final.id}: ${final.status}`),
        [],
        'every process succeeded',
      );
      for (const final of finals)
        assert.deepEqual(final.result, { seconds: 0.2, steps: 2, resumedAfterStep: 0, attempt: 1 });

      // Temporal's own count: exactly `total` workflows, all completed.
      assert.equal(await countEventually(cluster, undefined, total), total, 'workflows on the task queue');
      assert.equal(
        await countEventually(cluster, "ExecutionStatus = 'Completed'", total),
        total,
        'completed workflows',
      );

      // And the API's list, page by page, shows exactly the same processes.
      const listed = new Set<string>();
      let cursor: string | undefined;
      do {
        const query = `status=succeeded&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await fetch(`${apiUrl}/processes?${query}`);
        assert.equal(response.status, 200);
        const page = (await response.json()) as ProcessPage;
        for (const item of page.items) {
          assert.ok(!listed.has(item.id), `${item.id} listed twice`);
          listed.add(item.id);
        }
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual([...listed].sort(), [...ids].sort(), 'the list holds exactly the started processes');
    },
  );
});
