/**
 * Workers killed with `kill -9` three times during a batch (two workers, one killed and replaced
 * at a time): every process still completes, with a sane result.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import { countEventually, post, startCluster, waitForEnd, type Cluster } from './support.js';

const total = 200;
const seconds = 8;
const steps = 8;
const kills = 3;

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ workers: 2 });
});
after(async () => {
  await cluster?.stop();
});

interface DelayResult {
  seconds: number;
  steps: number;
  resumedAfterStep: number;
  attempt: number;
}

describe('worker crashes', () => {
  it(`${total} processes survive ${kills} worker kill -9s`, { timeout: 300_000 }, async (t) => {
    const apiUrl = cluster.api.url;
    const started = await pool(total, 50, () =>
      post(`${apiUrl}/processes`, { kind: 'delay', input: { seconds, steps } }),
    );
    assert.ok(
      started.every((answer) => answer.status === 202),
      'every POST accepted',
    );
    // Two workers have 100 runner slots each: wait until most runners are busy.
    await eventually(
      () => cluster.count("LongrunStatus = 'running'"),
      (n) => n >= total / 2,
      { timeoutMs: 60_000, what: 'running processes' },
    );

    for (let kill = 0; kill < kills; kill++) {
      await sleep(2000);
      const victim = cluster.workers.find((worker) => worker.alive())!;
      await victim.kill9();
      t.diagnostic(`kill -9 worker ${victim.pid} at ${new Date().toISOString()}`);
      cluster.workers.splice(cluster.workers.indexOf(victim), 1);
      await cluster.startWorker();
    }

    const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 240_000));
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
    assert.ok(
      [...attempts.keys()].some((attempt) => attempt > 1),
      'the kills interrupted some runners',
    );
    assert.equal(await countEventually(cluster, "ExecutionStatus = 'Completed'", total), total);
    assert.equal(await countEventually(cluster, undefined, total), total, 'no process lost or duplicated');
  });
});
