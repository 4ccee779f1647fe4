/**
 * The API restarted twice mid-batch, once gracefully (SIGTERM) and once with `kill -9`, while
 * clients keep starting processes. Clients retry with an Idempotency-Key, so a request cut off by
 * a restart is neither lost nor duplicated: exactly N processes, all succeeded. The `kill -9` is
 * timed for a start that Temporal has accepted and whose answer is still on its way, and the test
 * shows from Temporal's start times that at least one such start was cut off: the duplicate that a
 * non-idempotent retry would make is really tested for.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import { useStack, type TestStack } from '../support/stack.js';
import {
  acceptedAt,
  countEventually,
  describeLog,
  newRetryLog,
  postWithRetry,
  waitForEnd,
  type Answer,
} from './support.js';

const total = 300;

let stack: TestStack;
useStack({ workers: 1 }, (started) => {
  stack = started;
});

describe('API restarts', () => {
  it(
    `${total} idempotent starts across two API restarts: exactly ${total} processes`,
    { timeout: 300_000 },
    async (t) => {
      const apiUrl = stack.api.url; // the port survives restarts
      const batch = randomUUID();
      const log = newRetryLog();
      const unanswered = new Set<string>();
      const restarts: { how: string; at: number }[] = [];
      let answered = 0;
      const starting = pool(total, 10, async (i): Promise<Answer> => {
        const key = `${batch}-${i}`;
        unanswered.add(key);
        try {
          return await postWithRetry(
            `${apiUrl}/processes`,
            { kind: 'delay', input: { seconds: 1, steps: 1 } },
            key,
            log,
            undefined,
            // Each answer waits for its 1-s process: a start Temporal has accepted stays unanswered
            // long enough for the kill to cut it off (a bare start is answered within milliseconds).
            { prefer: 'wait=5' },
          );
        } finally {
          unanswered.delete(key);
          answered++;
        }
      });
      starting.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

      for (const [fraction, how] of [
        [1 / 3, 'sigterm'],
        [2 / 3, 'kill9'],
      ] as const) {
        await eventually(
          () => answered,
          (n) => n >= total * fraction,
          { timeoutMs: 120_000, intervalMs: 20, what: 'answered starts' },
        );
        if (how === 'kill9') {
          // Kill while Temporal holds three starts that the API has not answered yet (if they do
          // not show up in time, kill anyway: the check at the end still demands one such start).
          // Only a start accepted under 600 ms ago counts: its 1-s process keeps its answer back
          // until the kill lands (one accepted a second ago may be answered in the meantime: the
          // pool's starts run in waves, and a wave's last answers all come at once).
          const waiting = await eventually(
            async () => {
              const keys = [...unanswered];
              const accepted = await Promise.all(keys.map((key) => acceptedAt(stack, key)));
              const now = Date.now();
              return keys.filter((key, i) => {
                const at = accepted[i];
                return at !== undefined && now - at < 600 && unanswered.has(key);
              });
            },
            (keys) => keys.length >= 3,
            {
              timeoutMs: 30_000,
              intervalMs: 0,
              what: 'three starts accepted by Temporal and not yet answered',
            },
          ).catch(() => []);
          t.diagnostic(`kill -9 with ${waiting.length} accepted starts unanswered`);
        }
        t.diagnostic(`restarting the API (${how}) after ${answered} of ${total} answers`);
        restarts.push({ how, at: Date.now() });
        await stack.restartApi(how);
      }
      const started = await starting;
      t.diagnostic(describeLog(log));
      assert.ok(log.cutOff.length + log.serverErrors.length > 0, 'the restarts cut some requests off');
      assert.deepEqual(
        log.serverErrors.filter((error) => error.status !== 503),
        [],
        'no 5xx but 503 (and never a 500)',
      );
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

      const pollLog = newRetryLog();
      const finals = await pool(total, 50, (i) => waitForEnd(apiUrl, started[i]!.body.id, 180_000, pollLog));
      t.diagnostic(`while polling: ${describeLog(pollLog)}`);
      assert.deepEqual(pollLog.serverErrors, [], 'no 5xx answer while polling');
      assert.deepEqual(
        finals.filter((final) => final.status !== 'succeeded').map((final) => `${final.id}: ${final.status}`),
        [],
        'every process succeeded',
      );
      assert.equal(await countEventually(stack, undefined, total), total, 'no process lost or duplicated');
      assert.equal(await countEventually(stack, "ExecutionStatus = 'Completed'", total), total);

      // The case "none duplicated" is about: Temporal started the process before the client saw its
      // request cut off, so the start was accepted and its answer lost; the retry found it.
      // A key's last cut-off is the one to judge: a start refused while the API restarted after the
      // SIGTERM may be accepted on its retry and that retry cut off by the kill.
      const lastCutOff = new Map<string, number>();
      for (const { key, at } of log.cutOff)
        if (key) lastCutOff.set(key, Math.max(at, lastCutOff.get(key) ?? 0));
      const acceptedThenCutOff: string[] = [];
      const byRestart = new Map<string, number>();
      for (const [key, at] of lastCutOff) {
        const accepted = await acceptedAt(stack, key);
        if (accepted === undefined || accepted >= at) continue;
        acceptedThenCutOff.push(key);
        const restart = [...restarts].reverse().find((r) => r.at <= at)?.how ?? 'none';
        byRestart.set(restart, (byRestart.get(restart) ?? 0) + 1);
      }
      t.diagnostic(
        `${acceptedThenCutOff.length} of ${lastCutOff.size} cut-off starts had been accepted by Temporal (by restart: ${JSON.stringify(Object.fromEntries(byRestart))})`,
      );
      assert.ok(
        acceptedThenCutOff.length > 0,
        'at least one start was accepted, then cut off before its answer',
      );
    },
  );
});
