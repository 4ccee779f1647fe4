/**
 * Graceful drain end to end: two API instances behind a tiny load balancer (test/support), under
 * steady load of starts, reads, waits (`Prefer: wait`) and event streams, are restarted one after
 * the other with SIGTERM, as a rolling deploy does. No client request fails; waits in flight
 * answer their current `202` early, and event streams end with a `retry` hint (the client
 * reconnects with `Last-Event-ID`, as EventSource does, and lands on the other instance).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, type ApiProcess } from '../../scripts/launcher.js';
import { authHeaders, cancelProcess, jsonRequest } from '../support/api-client.js';
import { LoadBalancer } from '../support/load-balancer.js';
import { startStack, type TestStack } from '../support/stack.js';

const drainEnv = { DRAIN_DELAY_MS: '1000', DRAIN_TIMEOUT_MS: '20000' };
const waitSeconds = 8;

let stack: TestStack;
let second: ApiProcess;
let balancer: LoadBalancer;
let lb: string;

before(async () => {
  stack = await startStack({ api: { env: drainEnv } });
  second = await stack.startApi({ env: drainEnv });
  balancer = new LoadBalancer([stack.api.port, second.port]);
  lb = await balancer.listen();
});
after(async () => {
  await balancer?.close();
  await stack?.stop();
});

interface Tally {
  requests: number;
  failures: string[];
  earlyWaits: number;
  streamsEndedWithRetry: number;
}

/** Read one event stream to its end: the last event id seen, and whether it ended with a `retry` hint. */
async function followOnce(url: string, lastEventId: string | undefined, tally: Tally) {
  const answer = await fetch(url, {
    headers: {
      ...authHeaders(),
      accept: 'text/event-stream',
      ...(lastEventId && { 'last-event-id': lastEventId }),
    },
  });
  if (answer.status !== 200 || !answer.body) {
    tally.failures.push(`stream answered ${answer.status}`);
    return { lastEventId, retry: false };
  }
  let text = '';
  for await (const chunk of answer.body.pipeThrough(new TextDecoderStream())) text += chunk;
  const ids = [...text.matchAll(/^id: ?(\S+)$/gm)].map((m) => m[1]!);
  return { lastEventId: ids.at(-1) ?? lastEventId, retry: /^retry: ?\d+$/m.test(text) };
}

describe('rolling restart of two APIs behind a load balancer', () => {
  it('fails no request; waits answer 202 early and streams end with a retry hint', async (t) => {
    // Two long processes to wait on and follow while everything else comes and goes.
    const long = await Promise.all(
      [1, 2].map(async () => {
        const started = await fetch(
          `${lb}/processes`,
          jsonRequest({ kind: 'delay', input: { seconds: 300, steps: 300 } }, authHeaders()),
        );
        assert.equal(started.status, 202);
        return ((await started.json()) as { id: string }).id;
      }),
    );
    const tally: Tally = { requests: 0, failures: [], earlyWaits: 0, streamsEndedWithRetry: 0 };
    let running = true;
    const guarded = async (what: string, step: () => Promise<void>): Promise<void> => {
      while (running) {
        tally.requests++;
        try {
          await step();
        } catch (err) {
          const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
          tally.failures.push(`${what}: ${(err as Error).message} ${cause?.code ?? cause?.message ?? ''}`);
        }
      }
    };

    const starter = () =>
      guarded('start and read', async () => {
        const started = await fetch(
          `${lb}/processes`,
          jsonRequest({ kind: 'delay', input: { seconds: 0.2, steps: 1 } }, authHeaders()),
        );
        const body = (await started.json()) as { id: string };
        if (started.status !== 202) throw new Error(`start answered ${started.status}`);
        const read = await fetch(`${lb}/processes/${body.id}`, { headers: authHeaders() });
        await read.body?.cancel();
        if (read.status !== 200 && read.status !== 202) throw new Error(`read answered ${read.status}`);
      });
    const waiter = (id: string) =>
      guarded('wait', async () => {
        const t0 = Date.now();
        const answer = await fetch(`${lb}/processes/${id}`, {
          headers: { ...authHeaders(), prefer: `wait=${waitSeconds}` },
        });
        await answer.body?.cancel();
        if (answer.status === 200 && !running) return; // the process was canceled at the end
        if (answer.status !== 202) throw new Error(`wait answered ${answer.status}`);
        if (Date.now() - t0 < (waitSeconds - 1) * 1000) tally.earlyWaits++;
      });
    const follower = (id: string) => {
      let lastEventId: string | undefined;
      return guarded('stream', async () => {
        const ended = await followOnce(`${lb}/processes/${id}/events`, lastEventId, tally);
        lastEventId = ended.lastEventId;
        if (!running) return;
        if (!ended.retry) throw new Error('the stream ended without a retry hint (and the process runs on)');
        tally.streamsEndedWithRetry++;
        await sleep(1000); // the hint's delay, as EventSource would
      });
    };
    const load = [starter(), starter(), starter(), ...long.map(waiter), ...long.map(follower)];

    await sleep(2000); // steady state first
    const restarted: number[] = [];
    for (const which of ['first', 'second'] as const) {
      const old = which === 'first' ? stack.api : second;
      if (which === 'first') stack.api = await stack.restartApi('sigterm');
      else second = await stack.startApi({ env: drainEnv, port: (await old.stop(), old.port) });
      restarted.push(old.port);
      assert.ok(
        /draining: stopped accepting connections/.test(old.output()),
        `the old instance drained:\n${old.output().slice(-2000)}`,
      );
      // As a rolling deploy does: the next one only once this one is back in rotation.
      await eventually(
        () => balancer.isReady(old.port),
        (ready) => ready,
        { timeoutMs: 30_000, what: `instance on ${old.port} ready again` },
      );
      await sleep(1000);
    }
    running = false;
    await Promise.all(long.map((id) => cancelProcess(`${lb}/processes/${id}`)));
    await Promise.all(load);

    t.diagnostic(
      `${tally.requests} requests, ${tally.failures.length} failed; ${tally.earlyWaits} waits answered early, ` +
        `${tally.streamsEndedWithRetry} streams ended with a retry hint, ${balancer.refusedAndRetried} refused connections retried`,
    );
    assert.deepEqual(restarted.sort(), [stack.api.port, second.port].sort());
    assert.deepEqual(tally.failures, [], `${tally.failures.length} of ${tally.requests} requests failed`);
    assert.deepEqual(balancer.failures, []);
    assert.ok(tally.requests > 50, `steady load: ${tally.requests} requests`);
    // Each restart cut short the waits in flight on it and ended its streams with a hint.
    assert.ok(tally.earlyWaits >= 1, `waits answered early: ${tally.earlyWaits}`);
    assert.ok(
      tally.streamsEndedWithRetry >= 2,
      `streams ended with a retry hint: ${tally.streamsEndedWithRetry}`,
    );
  });
});
