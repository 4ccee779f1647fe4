/**
 * The Temporal dev server (persistent SQLite file) killed and restarted mid-batch, while runners
 * run and clients keep starting processes: every process completes, exactly once. The test shows
 * that runners were running (the server held them started) and starts were in flight when the
 * server died (sent before the kill, answered only after the restart).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventually, pool } from '../../scripts/launcher.js';
import { useStack, type TestStack } from '../support/stack.js';
import { pendingRunner } from '../support/temporal.js';
import {
  countEventually,
  describeLog,
  newRetryLog,
  postWithRetry,
  waitAllSucceeded,
  type Answer,
} from './support.js';

const total = 100;

let stack: TestStack;
useStack({ workers: 1, persistent: true }, (started) => {
  stack = started;
});

describe('Temporal server restart', () => {
  it(`${total} processes across a dev server kill -9 and restart`, { timeout: 300_000 }, async (t) => {
    const apiUrl = stack.api.url;
    const batch = randomUUID();
    const log = newRetryLog();
    let answered = 0;
    /** Starts sent with `Prefer: wait` and not answered yet. */
    let waitingInFlight = 0;
    /**
     * Just before the kill, starts go back to back and ask to wait for their 4-s process
     * (`Prefer: wait`), so that several hold a request open on the server when it dies, however
     * fast the server answers a bare start.
     */
    let rushing = false;
    const answeredIds: string[] = [];
    /** What the starts that waited (`Prefer: wait`) answered: their process's end, outage or not. */
    const waitedStatuses: string[] = [];
    /** When each start was sent and answered (its retries included). */
    const spans: { sentAt: number; answeredAt: number }[] = [];
    // Paced starts, so that the batch spans the outage: some runners mid-run, some starts held up.
    const starting = pool(total, 5, async (i): Promise<Answer> => {
      const sentAt = Date.now();
      const waits = rushing;
      if (waits) waitingInFlight++;
      const answer = await postWithRetry(
        `${apiUrl}/processes`,
        { kind: 'delay', input: { seconds: 4, steps: 4 } },
        `${batch}-${i}`,
        log,
        undefined,
        waits ? { prefer: 'wait=20' } : {},
      ).finally(() => {
        if (waits) waitingInFlight--;
      });
      spans.push({ sentAt, answeredAt: Date.now() });
      answered++;
      if (answer.status === 202) answeredIds.push(answer.body.id);
      if (waits) waitedStatuses.push(`${answer.status} ${answer.body.status}`);
      if (!rushing) await new Promise((resolve) => setTimeout(resolve, 100));
      return answer;
    });
    starting.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

    await eventually(
      () => Promise.resolve(answered),
      (n) => n >= total / 2,
      { timeoutMs: 120_000, intervalMs: 20, what: 'answered starts' },
    );
    // The runners the server holds as started, read just before the kill.
    const ids = [...answeredIds];
    const runners = await pool(ids.length, 20, (i) => pendingRunner(stack.client, ids[i]!));
    const runningAtKill = runners.filter((runner) => runner?.state === 'STARTED').map((r) => r!.workflowId);
    assert.deepEqual(log.cutOff.length + log.serverErrors.length, 0, 'no request failed before the kill');
    // Kill while starts wait on the server.
    rushing = true;
    await eventually(
      () => waitingInFlight,
      (n) => n >= 3,
      { timeoutMs: 10_000, intervalMs: 0, what: 'starts waiting on the server' },
    );
    rushing = false; // the starts sent from now on meet the server down, or coming back
    const killedAt = Date.now();
    await stack.restartServer('kill9');
    const backAt = Date.now();
    t.diagnostic(
      `dev server killed with ${answered} of ${total} started (${runningAtKill.length} runners started); back in ${backAt - killedAt} ms`,
    );
    assert.ok(runningAtKill.length > 0, 'runners were running when the server died');

    const started = await starting;
    // The API's Temporal client retries through a short outage: its HTTP clients see the requests
    // cut off by the kill as slow, not failed (503s and dropped connections are logged, if any).
    t.diagnostic(describeLog(log));
    const heldAcross = spans.filter((span) => span.sentAt < killedAt && span.answeredAt > backAt).length;
    const sentDuring = spans.filter((span) => span.sentAt >= killedAt && span.sentAt < backAt).length;
    t.diagnostic(`${heldAcross} starts in flight when the server died, ${sentDuring} sent while it was down`);
    assert.ok(heldAcross > 0, 'requests were in flight when the server died, and answered once it was back');
    // A wait the server's death cut off is begun again: it still answers with the process's end.
    assert.deepEqual(
      waitedStatuses.filter((status) => status !== '200 succeeded'),
      [],
      'the starts that waited across the outage answered with their end',
    );
    assert.deepEqual(
      log.serverErrors.filter((error) => error.status !== 503),
      [],
      'no 5xx but 503 (and never a 500)',
    );
    assert.deepEqual(
      // 200: a start that waited saw its process end.
      started
        .filter((answer) => answer.status !== 202 && answer.status !== 200)
        .map((answer) => answer.status),
      [],
      'every start accepted',
    );
    const distinct = new Set(started.map((answer) => answer.body.id));
    assert.equal(distinct.size, total, 'one process per Idempotency-Key');

    const finals = await waitAllSucceeded(
      apiUrl,
      started.map((answer) => answer.body.id),
      180_000,
      (line) => t.diagnostic(line),
    );
    const attempts = new Map<number, number>();
    for (const final of finals) {
      const result = final.result as { seconds: number; steps: number } | undefined;
      assert.deepEqual([result?.seconds, result?.steps], [4, 4], final.id);
      attempts.set(final.attempt, (attempts.get(final.attempt) ?? 0) + 1);
    }
    t.diagnostic(`processes by final attempt: ${JSON.stringify(Object.fromEntries(attempts))}`);
    const interrupted = finals.filter((final) => runningAtKill.includes(final.id));
    assert.equal(interrupted.length, runningAtKill.length);
    assert.ok(
      interrupted.every((final) => final.status === 'succeeded'),
      'the runners cut off all finished',
    );
    assert.equal(await countEventually(stack, undefined, total), total, 'no process lost or duplicated');
    assert.equal(await countEventually(stack, "ExecutionStatus = 'Completed'", total), total);
  });
});
