/**
 * Faults of a production-shaped Temporal (PostgreSQL, frontend, matching, worker service, two
 * history instances: scripts/cluster) and of longrun's own processes (two workers, two APIs),
 * one after the other on one stack, each while a batch of `delay` processes is in flight: at
 * least 200 started and running, further starts on their way (clients with Idempotency-Keys, each
 * retrying on the other API when one fails). After each: every process succeeded, exactly one per
 * key, read through the API (`GET`, and a list with the batch's filter) and counted by Temporal's
 * visibility.
 *
 * The faults: `kill -9` of the history instance holding the most shards, left down until the
 * batch is checked (the other takes its shards; nothing is restarted), then started again; `kill
 * -9` of matching and of the frontend, each started again at once; PostgreSQL stopped and started
 * again; `kill -9` of the worker holding the most running runners (the other retries them once
 * the heartbeat timeout has passed); `kill -9` of an API holding a start that Temporal has
 * accepted and not yet answered (its clients retry on the other API). A first batch without a
 * fault gives the floor.
 *
 * "Stalled", printed for each: the longest any process of the batch was held up, i.e. the worst
 * over the batch of (its end, the server's close time) − (when its first start request was sent)
 * − (its own seconds of work); the floor batch shows what that is without a fault. Also printed:
 * the longest gap between two consecutive ends (starts are paced, so ends are too). Only on the
 * cluster (LONGRUN_TEST_TEMPORAL=cluster, `npm test -- cluster-faults`); 8 to 11 minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delayPolicyMs } from '../../scripts/delay-policy.js';
import { eventually, type ApiProcess, type ManagedProcess } from '../../scripts/launcher.js';
import type { TemporalCluster, TemporalServiceName } from '../../scripts/cluster/temporal-cluster.js';
import { useStack, type TestStack } from '../support/stack.js';
import { temporalKind } from '../support/temporal-under-test.js';
import { faultBatch, type BatchOutcome, type BatchShape, type Fault } from './fault-batch.js';
import { acceptedAt, busiestWorker } from './support.js';

const seconds = 30;
const shape: BatchShape = {
  total: 240,
  seconds,
  steps: 15,
  // All started within a process's 30 s, so at least 210 run at the fault, and 30 starts are to come.
  faultAfter: 210,
  concurrency: 6,
  pauseMs: 200,
  // A killed worker's runners wait out the heartbeat timeout, then do what was left of their work.
  endTimeoutMs: delayPolicyMs.heartbeatTimeout + seconds * 1000 + 120_000,
};
const minInFlight = 200;
// One worker can hold the whole batch: after a worker dies, the other's slots are not what holds processes up.
const workerEnv = { MAX_CONCURRENT_RUNNERS: String(shape.total) };

const skip =
  temporalKind() === 'cluster' ? false : 'only on the Temporal cluster (LONGRUN_TEST_TEMPORAL=cluster)';

let stack: TestStack;
let cluster: TemporalCluster;
let apis: ApiProcess[] = [];

/** The shards a history instance owns, from its `numshards_gauge` metric. */
async function shardsOf(name: TemporalServiceName): Promise<number> {
  const port = cluster.ports.history[Number(name.slice('history-'.length)) - 1]!.metrics;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('numshards_gauge'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

const historyNames = (): TemporalServiceName[] =>
  cluster.ports.history.map((_, i): TemporalServiceName => `history-${i + 1}`);

/** Every part of the cluster still runs (a fault must not take down another part). */
function assertClusterAlive(): void {
  const dead = cluster.parts.filter((part) => !cluster.process(part).alive());
  assert.deepEqual(dead, [], 'every cluster part still runs');
}

type OutputMark = Map<string, { handle: ManagedProcess; length: number }>;
const markOutput = (): OutputMark =>
  new Map(
    cluster.parts.map((part) => {
      const handle = cluster.process(part);
      return [part, { handle, length: handle.output().length }];
    }),
  );

/**
 * The level and message of a log line of a Temporal service (`<time>\t<level>\t<message>\t{…}`)
 * or of PostgreSQL (`<date> <time> UTC [pid] LEVEL:  message`); `undefined` for anything else
 * (stack traces, start-up lines).
 */
function logMessage(line: string): string | undefined {
  const temporal = /^\S+\t(warn|error|dpanic|panic|fatal)\t([^\t]+)/.exec(line);
  if (temporal) return `${temporal[1]} ${temporal[2]}`;
  const postgres = /^\S+ \S+ \w+ \[\d+\] (WARNING|ERROR|FATAL|PANIC|LOG):\s+(.{0,100})/.exec(line);
  return postgres ? `${postgres[1]} ${postgres[2]}` : undefined;
}

/**
 * What each part of the cluster logged (Temporal: warn and above) since `mark`, by message, e.g.
 * `history-2: 12× "warn Fail to process task"`: what the cluster went through.
 */
function loggedSince(mark: OutputMark): string[] {
  return cluster.parts.flatMap((part) => {
    const now = cluster.process(part);
    const before = mark.get(part);
    // A restarted part has a new handle: all of its output is new. (Each keeps its last 64 KiB.)
    const text = now.output().slice(before?.handle === now ? before.length : 0);
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const message = logMessage(line);
      if (message) counts.set(message, (counts.get(message) ?? 0) + 1);
    }
    if (counts.size === 0) return [];
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4);
    return [`${part}: ${top.map(([msg, n]) => `${n}× ${JSON.stringify(msg)}`).join(', ')}`];
  });
}

/** `kill -9` of a service, started again on its ports at once. */
const restartedService = (name: 'matching' | 'frontend'): Fault => ({
  name: `${name} kill -9`,
  async inject() {
    const killedAt = Date.now();
    await cluster.kill9(name);
    await cluster.start(name);
    return { detail: `${name} killed and serving again after ${Date.now() - killedAt} ms` };
  },
});

let victimHistory: TemporalServiceName | undefined;
const historyFault: Fault = {
  name: 'history kill -9',
  async inject() {
    const names = historyNames();
    const shards = await Promise.all(names.map(shardsOf));
    const index = shards.indexOf(Math.max(...shards));
    const victim = names[index]!;
    const survivors = names.filter((name) => name !== victim);
    assert.ok(shards[index]! > 0, `${victim} owns shards (${JSON.stringify(shards)})`);
    const killedAt = Date.now();
    await cluster.kill9(victim);
    victimHistory = victim;
    const taken = await eventually(
      async () => (await Promise.all(survivors.map(shardsOf))).reduce((a, b) => a + b, 0),
      (n) => n === cluster.numHistoryShards,
      { timeoutMs: 120_000, intervalMs: 200, what: `the shards of ${victim} taken over` },
    );
    return {
      detail: `${victim} (${shards[index]} of ${cluster.numHistoryShards} shards) killed; ${survivors.join(', ')} held all ${taken} after ${Date.now() - killedAt} ms; not restarted`,
    };
  },
  async restore() {
    if (!victimHistory) return;
    await cluster.start(victimHistory);
    const back = victimHistory;
    await eventually(
      () => shardsOf(back),
      (n) => n > 0,
      { timeoutMs: 120_000, intervalMs: 500, what: `${back} owning shards again` },
    );
    victimHistory = undefined;
  },
};

const postgresFault: Fault = {
  name: 'PostgreSQL restart',
  async inject() {
    const stoppedAt = Date.now();
    await cluster.stopPart('postgres');
    const downAt = Date.now();
    await cluster.start('postgres');
    return {
      detail: `PostgreSQL stopped in ${downAt - stoppedAt} ms, serving again ${Date.now() - downAt} ms later`,
    };
  },
};

let killedWorker: ManagedProcess | undefined;
const workerFault: Fault = {
  name: 'worker kill -9',
  async inject({ sample }) {
    const { worker, runners } = await busiestWorker(stack, sample);
    assert.ok(worker && runners.length > 0, 'a worker holds running runners');
    await worker.kill9();
    killedWorker = worker;
    return {
      detail: `worker ${worker.pid} killed holding ${runners.length} of the sample's running runners; the other not restarted`,
      verify(finals) {
        const retried = finals.filter((final) => runners.includes(final.id) && final.attempt > 1).length;
        // (A runner about to finish may have done so between the look and the kill.)
        assert.ok(retried > 0, 'the kill interrupted running runners');
        return `${retried} of its ${runners.length} runners retried on the other worker`;
      },
    };
  },
  async restore() {
    if (killedWorker) await stack.startWorker(workerEnv);
    killedWorker = undefined;
  },
};

let killedApiPort: number | undefined;
const apiFault: Fault = {
  name: 'API kill -9',
  async inject({ unanswered }) {
    const victim = apis[1]!;
    // Kill while Temporal holds a start sent to this API and not answered yet (if none shows up in
    // time, kill anyway: the check demands that some start was accepted, then cut off).
    const waiting = await eventually(
      async () => {
        const keys = [...unanswered].filter(([, url]) => url === victim.url).map(([key]) => key);
        const accepted = await Promise.all(keys.map((key) => acceptedAt(stack, key)));
        return keys.filter((key, i) => accepted[i] !== undefined && unanswered.has(key));
      },
      (keys) => keys.length > 0,
      { timeoutMs: 30_000, intervalMs: 0, what: 'a start accepted by Temporal and not yet answered' },
    ).catch(() => []);
    const killedAt = Date.now();
    await victim.kill9();
    killedApiPort = victim.port;
    return {
      detail: `API ${victim.url} killed with ${waiting.length} accepted starts unanswered; not restarted`,
      async verify(_finals, log) {
        // Accepted by Temporal before the client saw its request cut off by the kill: the answer
        // was lost, and the retry on the other API found the same process.
        const cut = [...new Set(log.cutOff.filter((c) => c.at >= killedAt && c.key).map((c) => c.key!))];
        const accepted = await Promise.all(cut.map((key) => acceptedAt(stack, key)));
        const acceptedThenCut = cut.filter(
          (_, i) => accepted[i] !== undefined && accepted[i] < killedAt,
        ).length;
        assert.ok(
          acceptedThenCut > 0,
          'a start accepted by Temporal was cut off and retried on the other API',
        );
        return `${acceptedThenCut} starts accepted, cut off and retried on the other API (${cut.length} cut off in all)`;
      },
    };
  },
  async restore() {
    if (killedApiPort !== undefined) apis[1] = await stack.startApi({ port: killedApiPort });
    killedApiPort = undefined;
  },
};

const faults: (Fault | undefined)[] = [
  undefined,
  historyFault,
  restartedService('matching'),
  restartedService('frontend'),
  postgresFault,
  workerFault,
  apiFault,
];

describe('Temporal cluster faults', { skip }, () => {
  // Inside the suite, so that a skipped suite starts no stack.
  useStack({ workers: 0 }, async (started) => {
    stack = started;
    cluster = stack.temporal.cluster!;
    for (let i = 0; i < 2; i++) await stack.startWorker(workerEnv);
    apis = [stack.api, await stack.startApi()];
  });
  const floor: { heldUpMs?: number } = {};
  for (const fault of faults) {
    const name = fault?.name ?? 'none';
    it(
      `${shape.total} processes through ${name}: none lost, none duplicated`,
      { timeout: shape.endTimeoutMs + 300_000 },
      async (t) => {
        const begun = Date.now();
        const mark = markOutput();
        let outcome: BatchOutcome;
        try {
          outcome = await faultBatch(
            stack,
            apis.map((api) => api.url),
            shape,
            fault,
            (line) => t.diagnostic(line),
          );
        } finally {
          for (const line of loggedSince(mark)) t.diagnostic(`logged: ${line}`);
          await fault?.restore?.();
        }
        floor.heldUpMs ??= outcome.heldUpMs;
        t.diagnostic(outcome.detail);
        t.diagnostic(`processes by final attempt: ${JSON.stringify(outcome.attempts)}`);
        t.diagnostic(`held up longest: ${outcome.worst.id}: ${outcome.worst.timeline}`);
        const s = (ms: number): string => (ms / 1000).toFixed(1);
        console.log(
          `fault ${name}: ${outcome.total} processes (${outcome.runningAtFault} running, ${outcome.startsInFlightAtFault} starts in flight at the fault), stalled ${s(outcome.heldUpMs)} s (the longest a process was held up beyond its ${seconds} s of work, median ${s(outcome.heldUpMedianMs)} s; ${s(floor.heldUpMs)} s without a fault), longest gap between completions ${s(outcome.longestGapMs)} s; batch ${s(Date.now() - begun)} s`,
        );
        if (fault)
          assert.ok(outcome.runningAtFault >= minInFlight, `at least ${minInFlight} running at the fault`);
        // A fault must not take down another part (what was killed is back by now).
        assertClusterAlive();
      },
    );
  }
});
