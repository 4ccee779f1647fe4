/**
 * `npm run bench`: what longrun costs on top of Temporal, as ratios measured in one run on one
 * machine against a real dev server, real worker and API processes (see BENCHMARKS.md). Prints a
 * table and writes BENCHMARKS.md and bench/results/latest.json. Never a pass/fail test.
 *
 * Sizes come from the environment; BENCH_QUICK=1 is a small smoke run (written to
 * bench/results/quick.{md,json}, BENCHMARKS.md untouched). `--render FILE.json` rewrites the
 * Markdown from a results file without measuring again.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import {
  connectClient,
  cpuSeconds,
  eventually,
  freePort,
  launch,
  machineCpuSeconds,
  ownCpuSecondsWithReapedChildren,
  pool,
  processTree,
  repoRoot,
  rssKiB,
  startApi,
  startDevServer,
  startWorker,
  temporalCli,
  type ApiProcess,
  type DevServer,
  type ManagedProcess,
} from '../scripts/launcher.js';
import { kinds as runnerKinds } from '../src/kinds/index.js';
import type { ProcessResource } from '../src/contract/resources.js';
import { processStart } from '../src/gateway/start-options.js';
import { statusQuery } from '../src/shared/queries.js';
import { processOrchestrator } from '../src/workflows/index.js';

const quick = process.env.BENCH_QUICK === '1';
const size = (name: string, full: number, small: number): number => {
  const value = Number(process.env[name] ?? (quick ? small : full));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const sizes = {
  /** P1: seconds of starts per measured round, for each side. */
  startSeconds: size('BENCH_START_SECONDS', 3, 1),
  /** P1 rounds (each side once per round, alternating who goes first): other load on the machine spreads over both. */
  startRounds: size('BENCH_START_ROUNDS', 6, 2),
  /**
   * P1: seconds of warm-up for each side before measuring. A fresh API process keeps getting
   * cheaper over its first thousand or so requests (the JIT: 1.8 ms of CPU per start at first,
   * 1.2 ms later), and a deployed API spends its life past that point.
   */
  startWarmupSeconds: size('BENCH_START_WARMUP_SECONDS', 5, 1),
  /** Requests (and raw calls) in flight in P1 and P6. */
  concurrency: size('BENCH_CONCURRENCY', 50, 20),
  /** P2/P4: processes kept open. */
  open: size('BENCH_OPEN', 1000, 100),
  statusSamples: size('BENCH_STATUS_SAMPLES', 1000, 100),
  /** P3: sequential samples for each side. */
  e2eSamples: size('BENCH_E2E_SAMPLES', 200, 20),
  recoveryTrials: size('BENCH_RECOVERY_TRIALS', 3, 1),
  /** P6: processes completed. */
  jobs: size('BENCH_JOBS', 1000, 100),
  /** P6: BullMQ jobs completed (more: they take so little CPU that 1,000 would be hard to time). */
  bullmqJobs: size('BENCH_BULLMQ_JOBS', 5000, 500),
};
const skipBullmq = process.env.BENCH_SKIP_BULLMQ === '1';
/**
 * The worker setting for how many runners may run at once, passed when 1,000 processes must run
 * (the SDK's default is 100). Harmless while src/config.ts does not know it: unknown variables are ignored.
 */
const runnerSlotsEnv = 'MAX_CONCURRENT_RUNNERS';
const heartbeatTimeoutSeconds = 5; // the delay kind's policy (src/activities/delay.ts)

const execFileAsync = promisify(execFile);
const log = (message: string): void => console.log(`[bench] ${message}`);

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

interface Percentiles {
  n: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentiles of milliseconds. */
function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, p50: at(50), p99: at(99) };
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const grouped = (value: number): string => value.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// The same workflow start the API's gateway makes (src/api/temporal-gateway.ts, start()).

type DelayInput = { seconds: number; steps: number };

/** Exactly what the API's gateway starts for this input (validated and normalized first, as the API does). */
function rawStartOptions(taskQueue: string, input: DelayInput) {
  const command = { kind: 'delay' as const, input: runnerKinds.delay.input.parse(input), selfUrl: () => '' };
  return processStart(command, { taskQueue, uiBaseUrl: 'http://localhost:8233' }).startOptions;
}

// ---------------------------------------------------------------------------------------------
// The stack

interface Stack {
  server: DevServer;
  client: Client;
  taskQueue: string;
  api: ApiProcess;
  worker: ManagedProcess;
  workerEnv: Record<string, string>;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ProcessResource };
}

/** RSS of a process and its descendants, KiB. */
function treeRssKiB(pid: number): number {
  return processTree(pid).reduce((sum, member) => {
    try {
      return sum + rssKiB(member);
    } catch {
      return sum;
    }
  }, 0);
}

// ---------------------------------------------------------------------------------------------
// P1: start throughput

/** CPU milliseconds per start, by process: where a start's cost goes. */
interface StartCost {
  server: number;
  api: number;
  /** The load: wrk (or autocannon) for the API side; this script's Temporal client for the raw side. */
  loadGenerator: number;
}

interface StartThroughput {
  apiRate: number;
  rawRate: number;
  ratio: number;
  /** Starts counted on each side. */
  apiStarts: number;
  rawStarts: number;
  concurrency: number;
  /** What sent the HTTP load, with its version. */
  loadTool: string;
  apiFailures: number;
  apiCost: StartCost;
  rawCost: StartCost;
  /** API rate ÷ raw rate of each round. */
  roundRatios: number[];
}

/** A timed burst of starts: how many completed within `seconds`, and how many failed. */
interface Burst {
  ok: number;
  failures: number;
  seconds: number;
}

/**
 * The HTTP load generator for P1. wrk (C, Debian's package, installed if missing) costs the shared
 * cores a few microseconds per request, so the API side pays for the API rather than for its
 * client; autocannon (JavaScript, about 0.25 ms of CPU per request here) is the fallback.
 */
function httpLoad(
  url: string,
  body: string,
  concurrency: number,
  dir: string,
): { tool: string; run: (seconds: number) => Promise<Burst> } {
  const wrk = ensureDebianCommand('wrk', 'wrk');
  if (wrk) {
    const script = join(dir, 'post.lua');
    // wrk counts the answers within the duration; the Lua reports them, and the failures, as JSON.
    writeFileSync(
      script,
      [
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        `wrk.body = ${JSON.stringify(body)}`,
        'done = function(summary)',
        '  local e = summary.errors',
        '  io.write(string.format(\'{"requests":%d,"durationUs":%d,"failures":%d}\\n\', summary.requests,',
        '    summary.duration, e.connect + e.read + e.write + e.status + e.timeout))',
        'end',
      ].join('\n'),
    );
    // Debian's build says `wrk debian/4.1.0-3+b2`.
    const version = /wrk (?:debian\/)?(\S+)/.exec(
      spawnSync(wrk, ['--version'], { encoding: 'utf8' }).stdout,
    )?.[1];
    return {
      tool: `wrk ${version ?? ''}`.trim(),
      run: async (seconds) => {
        const { stdout } = await execFileAsync(
          wrk,
          ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '60s', '-s', script, url],
          { encoding: 'utf8' },
        );
        const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
          requests: number;
          durationUs: number;
          failures: number;
        };
        return {
          ok: summary.requests - summary.failures,
          failures: summary.failures,
          seconds: summary.durationUs / 1e6,
        };
      },
    };
  }
  return {
    tool: `autocannon ${packageVersion('autocannon')}`,
    run: (seconds) =>
      new Promise<Burst>((resolve, reject) => {
        const deadline = performance.now() + seconds * 1000;
        let ok = 0;
        const instance = autocannon(
          {
            url,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            connections: concurrency,
            duration: seconds,
            timeout: 60,
          },
          (err: unknown, result: autocannon.Result) => {
            if (err) reject(err instanceof Error ? err : new Error(`autocannon: ${JSON.stringify(err)}`));
            else resolve({ ok, failures: result.non2xx + result.errors + result.timeouts, seconds });
          },
        );
        // As wrk does: only answers within the duration count.
        instance.on('response', (_client, statusCode) => {
          if (statusCode >= 200 && statusCode < 300 && performance.now() <= deadline) ok++;
        });
      }),
  };
}

async function measureStartThroughput(stack: Stack, dir: string): Promise<StartThroughput> {
  // A queue no worker polls: only the start path is measured, not the work it causes.
  const idleQueue = `bench-idle-${randomUUID()}`;
  const api = await startApi({ address: stack.server.address, taskQueue: idleQueue });
  const { startSeconds, startRounds, startWarmupSeconds, concurrency } = sizes;
  const body = { kind: 'delay', input: { seconds: 1, steps: 1 } };
  const load = httpLoad(`${api.url}/processes`, JSON.stringify(body), concurrency, dir);
  log(`P1 load generator: ${load.tool}`);
  const viaClient = async (seconds: number): Promise<Burst> => {
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    let ok = 0;
    // `concurrency` calls in flight until the deadline; as with wrk, only those done by then count.
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          await stack.client.workflow.start(processOrchestrator, rawStartOptions(idleQueue, body.input));
          if (performance.now() <= deadline) ok++;
        }
      }),
    );
    return { ok, failures: 0, seconds };
  };
  const cpu = () => ({
    server: cpuSeconds([stack.server.pid]),
    api: cpuSeconds([api.pid]),
    loadGenerator: ownCpuSecondsWithReapedChildren(), // this script, and wrk once it has exited
  });
  // Starts still in flight when a burst ends finish before the next one; a pause keeps them out of it.
  const settle = () => sleep(500);
  try {
    // Warm-up: the JIT of both processes, connections, the server's caches.
    await load.run(startWarmupSeconds);
    await settle();
    await viaClient(startWarmupSeconds);
    await settle();
    const zero = () => ({ ok: 0, failures: 0, seconds: 0, server: 0, api: 0, loadGenerator: 0 });
    const totals = { api: zero(), raw: zero() };
    const roundRatios: number[] = [];
    for (let r = 0; r < startRounds; r++) {
      const rates = { api: 0, raw: 0 };
      // Alternate which side goes first, so neither always meets a larger database.
      for (const side of r % 2 === 0 ? (['raw', 'api'] as const) : (['api', 'raw'] as const)) {
        const before = cpu();
        const run = side === 'api' ? await load.run(startSeconds) : await viaClient(startSeconds);
        await settle();
        const after = cpu();
        const total = totals[side];
        total.ok += run.ok;
        total.failures += run.failures;
        total.seconds += run.seconds;
        total.server += after.server - before.server;
        total.api += after.api - before.api;
        total.loadGenerator += after.loadGenerator - before.loadGenerator;
        rates[side] = run.ok / run.seconds;
        log(`P1 ${side}: ${run.ok} starts in ${run.seconds.toFixed(2)} s`);
      }
      roundRatios.push(round(rates.api / rates.raw));
    }
    const cost = (t: ReturnType<typeof zero>): StartCost => ({
      server: round((t.server * 1000) / t.ok),
      api: round((t.api * 1000) / t.ok),
      loadGenerator: round((t.loadGenerator * 1000) / t.ok),
    });
    const apiRate = totals.api.ok / totals.api.seconds;
    const rawRate = totals.raw.ok / totals.raw.seconds;
    return {
      apiRate: round(apiRate, 1),
      rawRate: round(rawRate, 1),
      // Three digits: a ratio of 0.897 must not print as 0.9 and pass.
      ratio: round(apiRate / rawRate, 3),
      apiStarts: totals.api.ok,
      rawStarts: totals.raw.ok,
      concurrency,
      loadTool: load.tool,
      apiFailures: totals.api.failures,
      apiCost: cost(totals.api),
      rawCost: cost(totals.raw),
      roundRatios,
    };
  } finally {
    await api.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// P3: end to end

interface LatencyRatio {
  api: Percentiles;
  raw: Percentiles;
  p50Ratio: number;
  p99Ratio: number;
}

function latencyRatio(api: number[], raw: number[]): LatencyRatio {
  const a = percentiles(api);
  const r = percentiles(raw);
  return { api: a, raw: r, p50Ratio: round(a.p50 / r.p50), p99Ratio: round(a.p99 / r.p99) };
}

async function measureEndToEnd(stack: Stack): Promise<LatencyRatio & { failures: number }> {
  const input = { seconds: 0.001, steps: 1 };
  const api: number[] = [];
  const raw: number[] = [];
  let failures = 0;
  const viaApi = async () => {
    const t0 = performance.now();
    const answer = await postJson(
      `${stack.api.url}/processes`,
      { kind: 'delay', input },
      { prefer: 'wait=30' },
    );
    const elapsed = performance.now() - t0;
    if (answer.status !== 200 || answer.body.status !== 'succeeded') failures++;
    return elapsed;
  };
  const viaClient = async () => {
    const t0 = performance.now();
    await stack.client.workflow.execute(processOrchestrator, rawStartOptions(stack.taskQueue, input));
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) await Promise.all([viaApi(), viaClient()]); // warm-up
  failures = 0;
  // One at a time, alternating sides: latency without queueing, and drift shared equally.
  for (let i = 0; i < sizes.e2eSamples; i++) {
    if (i % 2 === 0) {
      raw.push(await viaClient());
      api.push(await viaApi());
    } else {
      api.push(await viaApi());
      raw.push(await viaClient());
    }
  }
  return { ...latencyRatio(api, raw), failures };
}

// ---------------------------------------------------------------------------------------------
// P6 (longrun side): completed processes per CPU-second

interface Efficiency {
  jobs: number;
  cpuSeconds: number;
  perCpuSecond: number;
  wallSeconds: number;
  breakdown: Record<string, number>;
}

async function measureTemporalEfficiency(stack: Stack): Promise<Efficiency> {
  const completed = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Completed'`;
  const baseline = (await stack.client.workflow.count(completed)).count;
  const parts = { 'dev server': stack.server.pid, API: stack.api.pid, worker: stack.worker.pid };
  const before = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, cpuSeconds([pid])]));
  const t0 = performance.now();
  let refused = 0;
  await pool(sizes.jobs, sizes.concurrency, async () => {
    const answer = await postJson(`${stack.api.url}/processes`, {
      kind: 'delay',
      input: { seconds: 0.001, steps: 1 },
    });
    if (answer.status !== 202) refused++;
  });
  if (refused > 0) throw new Error(`P6: ${refused} starts refused`);
  await eventually(
    async () => (await stack.client.workflow.count(completed)).count,
    (n) => n >= baseline + sizes.jobs,
    { timeoutMs: 600_000, intervalMs: 250, what: 'P6 completions' },
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  const breakdown = Object.fromEntries(
    Object.entries(parts).map(([name, pid]) => [name, round(cpuSeconds([pid]) - before[name]!)]),
  );
  const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    jobs: sizes.jobs,
    cpuSeconds: round(total),
    perCpuSecond: round(sizes.jobs / total, 1),
    wallSeconds: round(wallSeconds, 1),
    breakdown,
  };
}

// ---------------------------------------------------------------------------------------------
// P4 and P2: memory and status latency with many open processes

interface OpenProcesses {
  open: number;
  /** Runners actually running (the rest queued for a worker slot). */
  running: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  perThousandKiB: number;
  status: LatencyRatio;
}

async function measureOpenProcesses(stack: Stack): Promise<OpenProcesses> {
  const { open } = sizes;
  // A fresh worker, allowed to run every process at once, for a clean memory baseline.
  await stack.worker.stop();
  stack.workerEnv = { [runnerSlotsEnv]: String(open) };
  stack.worker = await startWorker({
    address: stack.server.address,
    taskQueue: stack.taskQueue,
    env: stack.workerEnv,
  });
  await sleep(3000);
  const rssBeforeKiB = treeRssKiB(stack.worker.pid);

  log(`P4: starting ${open} long processes`);
  const ids = await pool(open, sizes.concurrency, async () => {
    const options = rawStartOptions(stack.taskQueue, { seconds: 600, steps: 10 });
    await stack.client.workflow.start(processOrchestrator, options);
    return options.workflowId;
  });
  try {
    // One query each: every workflow has run its first task and is loaded in the worker.
    await pool(open, sizes.concurrency, (i) => stack.client.workflow.getHandle(ids[i]!).query(statusQuery));
    const runningQuery = `TaskQueue = '${stack.taskQueue}' AND LongrunStatus = 'running'`;
    let previous = -1;
    let stable = 0;
    let running = 0;
    // Runners start as worker slots allow: wait until every one runs or the count stops moving.
    for (let i = 0; i < 120 && running < open && stable < 5; i++) {
      await sleep(1000);
      running = (await stack.client.workflow.count(runningQuery)).count;
      stable = running === previous ? stable + 1 : 0;
      previous = running;
    }
    await sleep(5000);
    const rssAfterKiB = treeRssKiB(stack.worker.pid);
    log(`P4: ${running} of ${open} running; worker RSS ${mib(rssBeforeKiB)} → ${mib(rssAfterKiB)}`);

    // P2: GET through the API vs the raw query, one at a time, alternating.
    const api: number[] = [];
    const raw: number[] = [];
    let unexpected = 0;
    const viaApi = async (id: string) => {
      const t0 = performance.now();
      const response = await fetch(`${stack.api.url}/processes/${id}`);
      await response.arrayBuffer();
      if (response.status !== 202) unexpected++;
      return performance.now() - t0;
    };
    const viaClient = async (id: string) => {
      const t0 = performance.now();
      await stack.client.workflow.getHandle(id).query(statusQuery);
      return performance.now() - t0;
    };
    for (let i = 0; i < 20; i++) await Promise.all([viaApi(ids[i % open]!), viaClient(ids[i % open]!)]);
    for (let i = 0; i < sizes.statusSamples; i++) {
      const id = ids[i % open]!;
      if (i % 2 === 0) {
        raw.push(await viaClient(id));
        api.push(await viaApi(id));
      } else {
        api.push(await viaApi(id));
        raw.push(await viaClient(id));
      }
    }
    if (unexpected > 0) log(`P2: ${unexpected} GETs did not answer 202`);
    return {
      open,
      running,
      rssBeforeKiB,
      rssAfterKiB,
      perThousandKiB: Math.round(((rssAfterKiB - rssBeforeKiB) * 1000) / open),
      status: latencyRatio(api, raw),
    };
  } finally {
    log(`terminating the ${open} open processes`);
    await pool(open, sizes.concurrency, (i) =>
      stack.client.workflow
        .getHandle(ids[i]!)
        .terminate('benchmark done')
        .catch(() => undefined),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// P5: recovery after kill -9

interface Recovery {
  trials: { apiSeconds: number; runnerStartedSeconds: number }[];
  medianApiSeconds: number;
  maxApiSeconds: number;
  heartbeatMultiple: number;
}

const { PendingActivityState } = proto.temporal.api.enums.v1;

function timestampMs(timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!timestamp?.seconds) return NaN;
  return Number(timestamp.seconds) * 1000 + (timestamp.nanos ?? 0) / 1e6;
}

async function measureRecovery(stack: Stack): Promise<Recovery> {
  const start = () =>
    startWorker({ address: stack.server.address, taskQueue: stack.taskQueue, env: stack.workerEnv });
  const workers = [stack.worker, await start()];
  const trials: Recovery['trials'] = [];
  try {
    for (let trial = 0; trial < sizes.recoveryTrials; trial++) {
      const started = await postJson(`${stack.api.url}/processes`, {
        kind: 'delay',
        input: { seconds: 300, steps: 300 },
      });
      const id = started.body.id;
      const url = `${stack.api.url}/processes/${id}`;
      const get = async () => (await (await fetch(url)).json()) as ProcessResource;
      await eventually(get, (r) => r.status === 'running' && r.attempt === 1, {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'P5 running',
      });
      await sleep(2000); // mid-run: heartbeats flowing, a checkpoint or two recorded
      const handle = stack.client.workflow.getHandle(id);
      const identity = (await handle.describe()).raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
      const victim = workers.find((worker) => identity.startsWith(`${worker.pid}@`));
      if (!victim) throw new Error(`P5: runner on "${identity}", not one of our workers`);
      const killedAt = Date.now();
      await victim.kill9();

      let apiAt: number | undefined;
      let runnerAt: number | undefined;
      const deadline = killedAt + 120_000;
      while ((apiAt === undefined || runnerAt === undefined) && Date.now() < deadline) {
        if (apiAt === undefined) {
          const resource = await get();
          if (resource.status === 'running' && resource.attempt === 2) apiAt = Date.now();
        }
        if (runnerAt === undefined) {
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          if (pending?.attempt === 2 && pending.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
            runnerAt = timestampMs(pending.lastStartedTime);
        }
        await sleep(100);
      }
      if (apiAt === undefined || runnerAt === undefined) throw new Error('P5: no resume within 120 s');
      trials.push({
        apiSeconds: round((apiAt - killedAt) / 1000),
        runnerStartedSeconds: round((runnerAt - killedAt) / 1000),
      });
      log(`P5 trial ${trial + 1}: ${JSON.stringify(trials.at(-1))}`);
      await handle.terminate('benchmark done');
      workers[workers.indexOf(victim)] = await start();
    }
  } finally {
    stack.worker = workers[0]!;
    await Promise.all(workers.slice(1).map((worker) => worker.stop()));
  }
  const sorted = trials.map((t) => t.apiSeconds).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    trials,
    medianApiSeconds: median,
    maxApiSeconds: sorted.at(-1)!,
    heartbeatMultiple: round(median / heartbeatTimeoutSeconds),
  };
}

// ---------------------------------------------------------------------------------------------
// P6 (BullMQ side)

interface BullmqEfficiency extends Efficiency {
  redis: string;
  bullmq: string;
  durability: string;
}

function commandPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A command from Debian's package, installed if missing (apt-get update only if the first try fails). */
function ensureDebianCommand(command: string, debianPackage: string): string | undefined {
  const found = commandPath(command);
  if (found) return found;
  if (process.getuid?.() !== 0) return undefined;
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  log(`${command} not found: apt-get install -y ${debianPackage}`);
  if (!apt(['install', '-y', debianPackage])) {
    apt(['update']);
    apt(['install', '-y', debianPackage]);
  }
  return commandPath(command);
}

/** The installed version of an npm package. */
function packageVersion(name: string): string {
  const file = join(repoRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

type RedisPersistence = 'volatile' | 'durable';

const redisPersistence: Record<RedisPersistence, { args: string[]; description: string }> = {
  volatile: { args: ['--appendonly', 'no'], description: 'no persistence (`--save "" --appendonly no`)' },
  // The strictest setting: every write on disk before it is acknowledged, as a database commit.
  durable: {
    args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    description: 'AOF, fsync on every write (`--save "" --appendonly yes --appendfsync always`)',
  },
};

async function measureBullmq(dir: string, persistence: RedisPersistence): Promise<BullmqEfficiency | string> {
  const redisServer = ensureDebianCommand('redis-server', 'redis-server');
  if (!redisServer) return 'skipped: redis-server is not installed and could not be installed';
  const port = await freePort();
  const durability = redisPersistence[persistence].description;
  const redis = launch(
    'redis',
    redisServer,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      ...redisPersistence[persistence].args,
    ],
    {},
  );
  let job: ManagedProcess | undefined;
  try {
    await eventually(
      () => Promise.resolve(redis.output()),
      (out) => out.includes('Ready to accept connections') || !redis.alive(),
      { timeoutMs: 30_000, intervalMs: 100, what: 'redis ready' },
    );
    if (!redis.alive()) throw new Error(`redis-server exited:\n${redis.output()}`);
    job = launch('bullmq', process.execPath, ['--import', 'tsx', 'bench/bullmq-job.ts'], {
      REDIS_PORT: String(port),
      BENCH_JOBS: String(sizes.bullmqJobs),
      BENCH_CONCURRENCY: String(sizes.concurrency),
    });
    const child = job;
    await eventually(
      () => Promise.resolve(child.output()),
      (out) => /^ready$/m.test(out) || !child.alive(),
      { timeoutMs: 60_000, intervalMs: 100, what: 'BullMQ ready' },
    );
    if (!child.alive()) throw new Error(`BullMQ job process exited:\n${child.output()}`);
    const parts = { redis: redis.pid, 'BullMQ producer + worker': child.pid };
    const before = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, cpuSeconds([pid])]));
    child.child.kill('SIGUSR2');
    const out = await eventually(
      () => Promise.resolve(child.output()),
      (text) => /^done /m.test(text) || !child.alive(),
      { timeoutMs: 600_000, intervalMs: 100, what: 'BullMQ jobs' },
    );
    const breakdown = Object.fromEntries(
      Object.entries(parts).map(([name, pid]) => [name, round(cpuSeconds([pid]) - before[name]!)]),
    );
    const done = /^done (.*)$/m.exec(out);
    if (!done) throw new Error(`BullMQ job process failed:\n${out}`);
    const summary = JSON.parse(done[1]!) as { completed: number; failed: number; seconds: number };
    if (summary.completed !== sizes.bullmqJobs) throw new Error(`BullMQ: ${JSON.stringify(summary)}`);
    const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
    return {
      jobs: sizes.bullmqJobs,
      cpuSeconds: round(total),
      perCpuSecond: round(sizes.bullmqJobs / total, 1),
      wallSeconds: round(summary.seconds, 1),
      breakdown,
      redis: execFileSync(redisServer, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '?',
      bullmq: packageVersion('bullmq'),
      durability,
    };
  } finally {
    await job?.stop();
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Machine and report

/** Other work on the machine during the run (other users' tests, other virtual machines). */
interface ForeignLoad {
  /** CPU used by processes that were not ours, in cores on average over the run. */
  otherCores: number;
  /** CPU time the hypervisor gave to other virtual machines, in cores on average. */
  stealCores: number;
  loadAverageAtStart: number;
  /** The raw figures: the machine's busy CPU-seconds over the run, and ours (this script and its children). */
  machineBusyCpuSeconds: number;
  ourCpuSeconds: number;
}

interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  temporalCli: string;
  temporalServer: string;
  temporalSdk: string;
  commit: string;
}

/** A CLI built from source says 0.0.0-DEV: the version scripts/temporal-cli.sh pinned is in its path. */
function cliVersion(): string {
  const reported = execFileSync(temporalCli(), ['--version'], { encoding: 'utf8' }).trim();
  const pinned = /\/temporal-cli\/(v[^/]+)\//.exec(temporalCli())?.[1];
  return pinned ? `${reported}, built from CLI ${pinned}` : reported;
}

async function describeMachine(client: Client): Promise<Machine> {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const system = await client.workflowService.getSystemInfo({});
  const sdk = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules/@temporalio/client/package.json'), 'utf8'),
  ) as { version: string };
  let commit = 'unknown';
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    commit = `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!BENCHMARKS.md']) ? ' + uncommitted changes' : ''}`;
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    temporalCli: cliVersion(),
    temporalServer: system.serverVersion ?? 'unknown',
    temporalSdk: sdk.version,
    commit,
  };
}

interface Results {
  machine: Machine;
  foreignLoad: ForeignLoad;
  sizes: typeof sizes;
  quick: boolean;
  durationSeconds: number;
  p1: StartThroughput;
  p2: LatencyRatio & { open: number; running: number };
  p3: LatencyRatio & { failures: number };
  p4: Omit<OpenProcesses, 'status'>;
  p5: Recovery;
  p6: {
    memory: Efficiency;
    file: Efficiency;
    bullmqVolatile: BullmqEfficiency | string;
    bullmqDurable: BullmqEfficiency | string;
  };
}

const check = (ok: boolean): string => (ok ? '✅' : '❌');
const measured = (value: BullmqEfficiency | string): BullmqEfficiency | undefined =>
  typeof value === 'string' ? undefined : value;

function efficiencyRow(label: string, longrun: Efficiency, bullmq: BullmqEfficiency | string): string[] {
  const bull = measured(bullmq);
  return [
    '',
    label,
    `${grouped(longrun.perCpuSecond)} processes per CPU-second (dev server + API + worker)`,
    bull
      ? `${grouped(bull.perCpuSecond)} jobs per CPU-second (Redis + BullMQ producer and worker)`
      : (bullmq as string),
    bull ? `${round(longrun.perCpuSecond / bull.perCpuSecond, 3)}` : '—',
    '—',
  ];
}

function renderTable(r: Results): string {
  const { p1, p2, p3, p4, p5, p6 } = r;
  const openNote =
    p2.running < p2.open
      ? `${grouped(p2.open)} open (${grouped(p2.running)} runners running, the rest waiting for a worker slot)`
      : `${grouped(p2.open)} running`;
  const rows = [
    ['', 'Measure', 'longrun', 'Baseline', 'Ratio', 'Target'],
    [
      'P1',
      'Start throughput',
      `${grouped(p1.apiRate)} starts/s (\`POST /processes\`, ${p1.loadTool})`,
      `${grouped(p1.rawRate)} starts/s (\`client.workflow.start\`)`,
      `${p1.ratio}`,
      `≥ 0.9 ${check(p1.ratio >= 0.9)}`,
    ],
    [
      'P2',
      `Status latency, ${openNote}`,
      `p50 ${ms(p2.api.p50)}, p99 ${ms(p2.api.p99)} (\`GET /processes/{id}\`)`,
      `p50 ${ms(p2.raw.p50)}, p99 ${ms(p2.raw.p99)} (\`handle.query('status')\`)`,
      `p50 ${p2.p50Ratio}, p99 ${p2.p99Ratio}`,
      `p99 ≤ 1.5 ${check(p2.p99Ratio <= 1.5)}`,
    ],
    [
      'P3',
      'End to end, no-op process',
      `p50 ${ms(p3.api.p50)}, p99 ${ms(p3.api.p99)} (\`POST\` + \`Prefer: wait=30\`)`,
      `p50 ${ms(p3.raw.p50)}, p99 ${ms(p3.raw.p99)} (\`client.workflow.execute\`)`,
      `p50 ${p3.p50Ratio}, p99 ${p3.p99Ratio}`,
      `≤ 1.2 ${check(p3.p50Ratio <= 1.2 && p3.p99Ratio <= 1.2)}`,
    ],
    [
      'P4',
      'Worker memory',
      `+${mib(p4.perThousandKiB)} RSS per 1,000 open processes`,
      `idle worker ${mib(p4.rssBeforeKiB)}; ${mib(p4.rssAfterKiB)} with ${grouped(p4.open)} open`,
      '—',
      '—',
    ],
    [
      'P5',
      'Recovery after `kill -9` of the worker',
      `${p5.medianApiSeconds} s median (max ${p5.maxApiSeconds} s) until attempt 2 runs on the other worker`,
      `heartbeat timeout ${heartbeatTimeoutSeconds} s`,
      `${p5.heartbeatMultiple}× the heartbeat timeout`,
      '—',
    ],
    ['P6', 'Efficiency, no-op processes:', '', '', '', ''],
    efficiencyRow(
      '• nothing on disk: Temporal in memory, Redis without persistence',
      p6.memory,
      p6.bullmqVolatile,
    ),
    efficiencyRow(
      '• durable: Temporal on a SQLite file, Redis AOF with fsync always',
      p6.file,
      p6.bullmqDurable,
    ),
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

function renderMarkdown(r: Results): string {
  const { machine: m, p1, p2, p3, p4, p5, p6 } = r;
  const bull = measured(p6.bullmqDurable) ?? measured(p6.bullmqVolatile);
  const breakdown = (parts: Record<string, number>) =>
    Object.entries(parts)
      .map(([name, seconds]) => `${name} ${seconds}`)
      .join(', ');
  const totalCost = (c: StartCost) => round(c.server + c.api + c.loadGenerator);
  const cost = (c: StartCost) => `dev server ${c.server}, API ${c.api}, load generator ${c.loadGenerator}`;
  const efficiency = (what: string, e: Efficiency) =>
    `${what}: ${e.cpuSeconds} CPU-seconds (${breakdown(e.breakdown)}) in ${e.wallSeconds} s`;
  const bullEfficiency = (what: string, value: BullmqEfficiency | string) => {
    const b = measured(value);
    return b ? efficiency(`${what}, ${b.durability}`, b) : `${what}: ${value as string}`;
  };
  return `# Benchmarks

What longrun's HTTP layer and process model cost on top of Temporal, measured by \`npm run bench\`
(bench/run.ts). Every figure is a ratio of two measurements taken in the same run, on the same
machine, against the same real Temporal dev server, so that it says more than the raw numbers,
which depend on the machine.${r.quick ? '\n\n**Quick smoke run (BENCH_QUICK=1): sizes too small to quote.**' : ''}

## Results

${renderTable(r)}

## Machine

| | |
| --- | --- |
| Date | ${m.date} |
| CPU | ${m.cpuModel}, ${m.cpus} cores (\`nproc\`) |
| Memory | ${m.memoryGiB} GiB |
| Node.js | ${m.node} |
| Temporal | ${m.temporalCli}; server ${m.temporalServer} (\`temporal server start-dev\`) |
| Temporal TypeScript SDK | ${m.temporalSdk} |
| Redis / BullMQ | ${bull ? `Redis ${bull.redis}, BullMQ ${bull.bullmq}` : (p6.bullmqDurable as string)} |
| Commit | ${m.commit} |
| Run | ${Math.round(r.durationSeconds)} s in all |
| Other load during the run | ${r.foreignLoad.otherCores} cores busy with other processes on average, ${r.foreignLoad.stealCores} stolen by the hypervisor; load average ${r.foreignLoad.loadAverageAtStart} at the start |

Everything ran on this one machine at once: the dev server, one worker (two in P5), the API and
the load generators (this script${p1.loadTool.startsWith('wrk') ? ', and wrk in P1' : ''}) share its cores, as in a small single-host deployment. P1–P5 use
an in-memory dev server, the fastest Temporal this machine runs, so that longrun's own overhead
shows as much as it can; P6 also runs on a SQLite file.

## How each figure is measured

- **P1 start throughput.** \`POST /processes\` (delay kind) sent by ${p1.loadTool} over
  ${p1.concurrency} keep-alive connections, against \`client.workflow.start\` calls of the same
  workflow with the same arguments the API's gateway builds, ${p1.concurrency} in flight, each side
  for ${r.sizes.startSeconds} s in each of ${r.sizes.startRounds} alternating rounds, after
  ${r.sizes.startWarmupSeconds} s of warm-up on each side; only starts answered within the time count
  (${grouped(p1.apiStarts)} through the API, ${grouped(p1.rawStarts)} raw; ratio of each round:
  ${p1.roundRatios.join(', ')}). The processes go to a task queue no worker polls, so only the start
  path is measured.
  ${p1.apiFailures > 0 ? `**${p1.apiFailures} API requests failed.**` : 'Every request answered 2xx.'}
  CPU milliseconds per start through the API: ${cost(p1.apiCost)}; raw: ${cost(p1.rawCost)}.
  So a start costs ${totalCost(p1.apiCost)} ms of CPU through the API and ${totalCost(p1.rawCost)} ms raw:
  where the cores are saturated, the ratio tends to that of the costs,
  ${round(totalCost(p1.rawCost) / totalCost(p1.apiCost))}. The API's own Temporal client call costs about what the
  raw client's does; what the API adds is the HTTP hop: Node reads each request and writes each
  answer on its own keep-alive connection, one system call and one wake-up of the client each,
  where the raw client's calls share one HTTP/2 connection whose writes are batched.
- **P2 status latency.** ${grouped(p2.open)} processes (\`seconds: 600, steps: 10\`) open on one
  worker, ${p2.running < p2.open ? `of which ${grouped(p2.running)} had a runner running (the worker runs at most that many at a time; the others waited for a slot, their workflows loaded in the worker all the same)` : 'all running'}.
  ${grouped(p2.api.n)} sequential \`GET /processes/{id}\` and as many \`handle.query('status')\`,
  alternating, over every process in turn. The processes are terminated afterwards.
- **P3 end to end.** A no-op process (\`seconds: 0.001, steps: 1\`) from \`POST /processes\` with
  \`Prefer: wait=30\` to its 200 answer, against \`client.workflow.execute\` of the same workflow:
  ${grouped(p3.api.n)} sequential samples each, alternating.${p3.failures > 0 ? ` **${p3.failures} API answers were not 200 succeeded.**` : ''}
- **P4 worker memory.** VmRSS of a fresh worker process (from /proc) before, and 5 s after, the
  ${grouped(p4.open)} processes of P2 were started and each had answered one status query.
- **P5 recovery.** A process runs (\`seconds: 300\`) with two workers up; the worker running its
  runner is killed with \`kill -9\`; the API is polled every 100 ms until the process shows
  \`attempt: 2\` and \`running\`. ${p5.trials.length} trial(s): ${p5.trials.map((t) => `${t.apiSeconds} s`).join(', ')}.
  The runner's second attempt had started on the other worker after
  ${p5.trials.map((t) => `${t.runnerStartedSeconds} s`).join(', ')} (the server's
  \`lastStartedTime\`). Expected: the heartbeat timeout (${heartbeatTimeoutSeconds} s after the last
  heartbeat, which reached the server up to a second before the kill) plus the first retry
  interval (1 s).
- **P6 efficiency.** ${grouped(p6.memory.jobs)} no-op processes started through the API
  (${r.sizes.concurrency} in flight) until visibility counts them all completed; user + system CPU
  time of each process from /proc. ${efficiency('Temporal in memory', p6.memory)}.
  ${efficiency("Temporal on a SQLite file (the dev server's defaults)", p6.file)}.
  The same job in BullMQ: \`updateProgress\` "started", sleep 1 ms, \`updateProgress\` 100 %,
  return a result; 5 attempts with exponential backoff; completed jobs kept; a producer adding
  the jobs ${r.sizes.concurrency} at a time and a worker of concurrency 100 in one Node process.
  ${grouped(r.sizes.bullmqJobs)} jobs each (more than processes: they take too little CPU to time 1,000).
  ${bullEfficiency('Redis', p6.bullmqVolatile)}.
  ${bullEfficiency('Redis', p6.bullmqDurable)}.
  BullMQ has no HTTP layer here while longrun's figure includes its API; the rest of the
  difference is what a workflow with an event history per process costs.

Raw numbers: bench/results/latest.json (not committed). Reproduce with \`npm run bench\` (about
${Math.max(1, Math.round(r.durationSeconds / 60))} minutes here); \`BENCH_QUICK=1 npm run bench\` is a small smoke run.
`;
}

// ---------------------------------------------------------------------------------------------

async function startStack(dbFilename?: string): Promise<Stack> {
  const server = await startDevServer(dbFilename ? { dbFilename } : {});
  const stack: Stack = {
    server,
    client: await connectClient(server.address),
    taskQueue: `bench-${randomUUID()}`,
    api: undefined as unknown as ApiProcess,
    worker: undefined as unknown as ManagedProcess,
    workerEnv: {},
  };
  try {
    stack.worker = await startWorker({ address: server.address, taskQueue: stack.taskQueue });
    stack.api = await startApi({ address: server.address, taskQueue: stack.taskQueue });
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
  return stack;
}

async function stopStack(stack: Stack): Promise<void> {
  await Promise.allSettled([stack.api?.stop(), stack.worker?.stop()]);
  await stack.client.connection.close().catch(() => undefined);
  await stack.server.stop();
}

function writeMarkdown(results: Results): string {
  const file = results.quick ? join(repoRoot, 'bench/results/quick.md') : join(repoRoot, 'BENCHMARKS.md');
  writeFileSync(file, renderMarkdown(results));
  console.log(`\n${renderTable(results)}\n`);
  return file;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--render') {
    const file = process.argv[3] ?? join(repoRoot, 'bench/results/latest.json');
    log(`wrote ${writeMarkdown(JSON.parse(readFileSync(file, 'utf8')) as Results)} from ${file}`);
    return;
  }
  const t0 = performance.now();
  const loadAverageAtStart = loadavg()[0]!;
  const ownAtStart = ownCpuSecondsWithReapedChildren();
  const machineAtStart = machineCpuSeconds();
  log(`sizes ${JSON.stringify(sizes)}${quick ? ' (quick)' : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'longrun-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // P1–P5 against an in-memory server: the fastest Temporal this machine can run, so that
  // longrun's own overhead shows as much as it can in the ratios.
  const stack = await startStack();
  let durableStack: Stack | undefined;
  try {
    const machine = await describeMachine(stack.client);
    log(`Temporal dev server ${machine.temporalServer} on ${stack.server.address}`);

    log('P1 start throughput');
    const p1 = await measureStartThroughput(stack, dir);
    log(`P1 ${JSON.stringify(p1)}`);
    log('P3 end to end');
    const p3 = await measureEndToEnd(stack);
    log(`P3 ${JSON.stringify(p3)}`);
    log('P6 efficiency (longrun, Temporal in memory)');
    const p6memory = await measureTemporalEfficiency(stack);
    log(`P6 ${JSON.stringify(p6memory)}`);
    log('P4 memory and P2 status latency');
    const { status, ...p4 } = await measureOpenProcesses(stack);
    const p2 = { ...status, open: p4.open, running: p4.running };
    log(`P4 ${JSON.stringify(p4)}`);
    log(`P2 ${JSON.stringify(p2)}`);
    log('P5 recovery');
    const p5 = await measureRecovery(stack);
    log(`P5 ${JSON.stringify(p5)}`);
    await stopStack(stack);

    log('P6 efficiency (longrun, Temporal on a SQLite file)');
    durableStack = await startStack(join(dir, 'temporal.db'));
    const p6file = await measureTemporalEfficiency(durableStack);
    log(`P6 ${JSON.stringify(p6file)}`);
    await stopStack(durableStack);

    const bullmq = async (persistence: RedisPersistence): Promise<BullmqEfficiency | string> => {
      if (skipBullmq) return 'skipped (BENCH_SKIP_BULLMQ=1)';
      log(`P6 efficiency (BullMQ, Redis ${persistence})`);
      const redisDir = join(dir, `redis-${persistence}`);
      mkdirSync(redisDir);
      // The comparison is a bonus: its failure must not throw away the figures above.
      const result = await measureBullmq(redisDir, persistence).catch((err: unknown) => {
        console.error('[bench] BullMQ comparison failed:', err);
        return `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      });
      log(`P6 BullMQ ${JSON.stringify(result)}`);
      return result;
    };
    const p6 = {
      memory: p6memory,
      file: p6file,
      bullmqVolatile: await bullmq('volatile'),
      bullmqDurable: await bullmq('durable'),
    };

    // Every child has stopped and been reaped: our share of the machine's busy time is known.
    const wall = (performance.now() - t0) / 1000;
    const machineNow = machineCpuSeconds();
    const ours = ownCpuSecondsWithReapedChildren() - ownAtStart;
    const foreignLoad: ForeignLoad = {
      otherCores: round(Math.max(0, machineNow.busy - machineAtStart.busy - ours) / wall),
      stealCores: round((machineNow.steal - machineAtStart.steal) / wall),
      loadAverageAtStart: round(loadAverageAtStart),
      machineBusyCpuSeconds: round(machineNow.busy - machineAtStart.busy, 1),
      ourCpuSeconds: round(ours, 1),
    };
    log(`other load during the run: ${JSON.stringify(foreignLoad)}`);
    const results: Results = {
      machine,
      foreignLoad,
      sizes,
      quick,
      durationSeconds: round((performance.now() - t0) / 1000, 1),
      p1,
      p2,
      p3,
      p4,
      p5,
      p6,
    };
    const resultsDir = join(repoRoot, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const name = quick ? 'quick' : 'latest';
    writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    const markdown = writeMarkdown(results);
    log(`wrote ${markdown} and bench/results/${name}.json in ${Math.round(results.durationSeconds)} s`);
  } finally {
    await stopStack(stack);
    if (durableStack) await stopStack(durableStack);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench]', err);
    process.exit(1);
  },
);
