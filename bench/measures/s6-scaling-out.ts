/**
 * S6 scaling out, on the cluster: start throughput (`POST /processes` to a task queue no worker
 * polls, as S4) through one API and then through two, and no-op completions (`POST` with
 * `Prefer: wait=30`, as S3) with one worker and one API and then two of each. The load is the same
 * in every configuration (`scaleConcurrency` requests in flight, wrk), split evenly over the APIs;
 * configurations alternate (1, 2, 2, 1, …) after a warm-up of each. Beside each rate, the cores
 * the stack used and the cores the whole machine was busy: on one machine a second worker or API
 * adds processes, not cores.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { machineCpuSeconds, type ApiProcess, type ManagedProcess } from '../../scripts/launcher.js';
import { scaleJobInput } from '../support/bullmq-build.js';
import { cpuMeter, cpuText, cpuTotal, type CpuBreakdown } from '../support/cpu.js';
import { httpPostLoad, type HttpLoad } from '../support/http-load.js';
import { defineMeasure, valueOf, whyNot, type Row, type StepContext } from '../support/measure.js';
import { grouped, round } from '../support/stats.js';
import { pause, waitFor } from '../support/waits.js';

export interface ScaleSide {
  /** Answers within the measured time, and failures, summed over rounds. */
  ok: number;
  failures: number;
  seconds: number;
  rate: number;
  /** CPU seconds of the cluster's processes and of longrun's during the load. */
  cpu: CpuBreakdown;
  /** Cores busy on average: the stack's (from `cpu`), and the whole machine's (every process, other load too). */
  stackCores: number;
  machineCores: number;
}

export interface ScalePair {
  one: ScaleSide;
  two: ScaleSide;
  /** Rate with two ÷ rate with one. */
  ratio: number;
}

export interface ScalingOut {
  starts: ScalePair;
  completions: ScalePair;
  /** The machine's cores (`nproc`). */
  cores: number;
  concurrency: number;
  tool: string;
  /** The cluster's server version, as it reports it. */
  server: string;
}

type Count = 1 | 2;

/** The configurations in turn after the warm-up's 1, 2: 2, 1, 1, 2 … (each one first as often as the other). */
const order = (rounds: number): Count[] =>
  Array.from({ length: rounds }, (_, r): Count[] => (r % 2 === 0 ? [2, 1] : [1, 2])).flat();

/** `busy` and `wall`: the machine's busy CPU-seconds and the wall-clock seconds of the CPU readings. */
const zero = (): Omit<ScaleSide, 'rate' | 'stackCores' | 'machineCores'> & {
  busy: number;
  wall: number;
} => ({
  ok: 0,
  failures: 0,
  seconds: 0,
  cpu: {},
  busy: 0,
  wall: 0,
});

/**
 * Timed rounds of `loads(n)` (one wrk per API, all at once) in the order above; CPU of `parts(n)`
 * and of the whole machine while they run; `between()` after each round (the last processes end).
 */
async function alternate(
  ctx: StepContext,
  loads: (n: Count) => HttpLoad[],
  parts: (n: Count) => Record<string, number>,
  enter: (n: Count) => Promise<void>,
  between: () => Promise<void>,
): Promise<ScalePair> {
  const { sizes, signal, log } = ctx;
  const totals = { 1: zero(), 2: zero() };
  const round1 = async (n: Count, measured: boolean) => {
    await enter(n);
    const meter = cpuMeter(parts(n));
    const busy0 = machineCpuSeconds().busy;
    const t0 = performance.now();
    const bursts = await Promise.all(loads(n).map((load) => load.run(sizes.costSeconds, signal)));
    const cpu = meter.read();
    const busy = machineCpuSeconds().busy - busy0;
    // Cores from the readings' own span (wrk's start and exit included), rates from wrk's seconds.
    const wall = (performance.now() - t0) / 1000;
    await between();
    await pause(500, signal);
    if (!measured) return;
    const t = totals[n];
    const ok = bursts.reduce((sum, b) => sum + b.ok, 0);
    t.ok += ok;
    t.failures += bursts.reduce((sum, b) => sum + b.failures, 0);
    t.seconds += Math.max(...bursts.map((b) => b.seconds));
    t.busy += busy;
    t.wall += wall;
    for (const [name, seconds] of Object.entries(cpu)) t.cpu[name] = round((t.cpu[name] ?? 0) + seconds);
    log(`${n}: ${ok} in ${sizes.costSeconds} s, CPU ${cpuText(cpu)}, machine busy ${round(busy, 1)} CPU-s`);
  };
  await round1(1, false);
  await round1(2, false);
  for (const n of order(sizes.costRounds)) await round1(n, true);
  const side = (n: Count): ScaleSide => {
    const { busy, wall, ...t } = totals[n];
    return {
      ...t,
      seconds: round(t.seconds, 1),
      rate: round(t.ok / t.seconds, 1),
      stackCores: round(cpuTotal(t.cpu) / wall),
      machineCores: round(busy / wall),
    };
  };
  const one = side(1);
  const two = side(2);
  return { one, two, ratio: one.rate > 0 ? round(two.rate / one.rate, 3) : NaN };
}

/** `concurrency` connections split over the first `n` APIs, one wrk each (its script in a folder of its own). */
function spread(
  ctx: StepContext,
  apis: ApiProcess[],
  n: Count,
  body: unknown,
  headers: Record<string, string> = {},
): HttpLoad[] {
  const total = ctx.sizes.scaleConcurrency;
  return apis.slice(0, n).map((api, i) => {
    const dir = join(ctx.dir, `${api.port}-${n}`);
    mkdirSync(dir, { recursive: true });
    const connections = Math.floor(total / n) + (i < total % n ? 1 : 0);
    return httpPostLoad(`${api.url}/processes`, JSON.stringify(body), connections, dir, headers);
  });
}

const named = (prefix: string, processes: ManagedProcess[], n: Count) =>
  Object.fromEntries(processes.slice(0, n).map((p, i) => [`${prefix} ${i + 1}`, p.pid]));

async function scaleOut(ctx: StepContext): Promise<ScalingOut> {
  const { stack, signal, defer, log } = ctx;
  // Starts: two APIs of the step's on a task queue no worker polls.
  const idleQueue = `bench-idle-${randomUUID()}`;
  const idleApis = [await stack.startApi(idleQueue), await stack.startApi(idleQueue)];
  for (const api of idleApis) defer(() => api.stop());
  const startLoads = {
    1: spread(ctx, idleApis, 1, body(scaleJobInput)),
    2: spread(ctx, idleApis, 2, body(scaleJobInput)),
  };
  log('starts: one API, then two');
  const starts = await alternate(
    ctx,
    (n) => startLoads[n],
    (n) => ({ ...stack.server.parts, ...named('API', idleApis, n) }),
    () => Promise.resolve(),
    () => Promise.resolve(),
  );
  for (const api of idleApis) await api.stop();

  // Completions: the stack's worker and API, and a second of each on its task queue. The second
  // worker polls only while two are measured (it is started and stopped as the order turns).
  const apis = [stack.api!, await stack.startApi(stack.taskQueue)];
  defer(() => apis[1]!.stop());
  let second: ManagedProcess | undefined;
  defer(() => second?.stop());
  const noop = body({ seconds: 0.001, steps: 1 });
  const waitHeaders = { Prefer: 'wait=30' };
  const completionLoads = {
    1: spread(ctx, apis, 1, noop, waitHeaders),
    2: spread(ctx, apis, 2, noop, waitHeaders),
  };
  const running = async () =>
    (await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'`))
      .count;
  log('completions: one worker and one API, then two of each');
  const completions = await alternate(
    ctx,
    (n) => completionLoads[n],
    (n) => ({
      ...stack.server.parts,
      ...named('API', apis, n),
      ...named('worker', [stack.worker!, ...(second ? [second] : [])], n),
    }),
    async (n) => {
      if (n === 2 && !second) second = await stack.startWorker();
      if (n === 1 && second) {
        await second.stop();
        second = undefined;
      }
    },
    // wrk has let go of the requests in flight; their processes run on to the end.
    () =>
      waitFor(running, (count) => count === 0, {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: 'the last no-op processes completing',
        signal,
      }).then(() => undefined),
  );
  const info = await stack.client.workflowService.getSystemInfo({});
  return {
    server: info.serverVersion ?? '?',
    starts,
    completions,
    cores: availableParallelism(),
    concurrency: ctx.sizes.scaleConcurrency,
    tool: startLoads[1][0]!.tool,
  };
}

const body = (input: unknown) => ({ kind: 'delay', input });

const sideText = (s: ScaleSide, cores: number) =>
  `${grouped(s.rate)}/s; the stack used ${s.stackCores} cores, the machine was busy ${s.machineCores} of ${cores}` +
  (s.failures > 0 ? `; **${grouped(s.failures)} failed**` : '');

export const scalingOut = defineMeasure<{ cluster: ScalingOut }>({
  id: 'S6',
  title: 'scaling out',
  steps: {
    cluster: {
      on: 'cluster',
      label: 'scaling out (one, then two workers and APIs, cluster)',
      timeLimitSeconds: (s) => 600 + 2 * 2 * (s.costRounds + 1) * (s.costSeconds + 30),
      run: scaleOut,
    },
  },
  rows: ({ cluster }) => {
    const s6 = valueOf(cluster);
    const rated = (r: number) => (typeof r === 'number' && Number.isFinite(r) ? `2/1 = ${r}` : '—');
    const caveat = s6
      ? `none: one machine, ${s6.cores} cores; a second process adds overhead, not cores`
      : 'none (one machine)';
    const row = (id: string, what: string, pair: ScalePair | undefined, two: string, one: string) =>
      [
        id,
        `Scaling out on the cluster: ${what}, ${s6?.concurrency ?? '?'} in flight`,
        pair && s6 ? `${two}: ${sideText(pair.two, s6.cores)}` : whyNot(cluster),
        pair && s6 ? `${one}: ${sideText(pair.one, s6.cores)}` : '—',
        pair ? rated(pair.ratio) : '—',
        caveat,
      ] satisfies Row;
    return [
      row('S6', 'starts (`POST /processes`)', s6?.starts, 'two APIs', 'one API'),
      row('', 'no-op completions', s6?.completions, 'two workers + two APIs', 'one worker + one API'),
    ];
  },
  machine: ({ cluster }): Record<string, string> => {
    const s6 = valueOf(cluster);
    return s6
      ? {
          'Temporal cluster': `server ${s6.server ?? '?'} built from source (scripts/temporal-server.sh), PostgreSQL (Debian's); frontend, matching, worker service and two history instances (4 shards), each its own process`,
        }
      : {};
  },
  method: ({ cluster }) => {
    const s6 = valueOf(cluster);
    const cpu = (pair: ScalePair | undefined) =>
      pair ? `one: ${cpuText(pair.one.cpu)}; two: ${cpuText(pair.two.cpu)}` : whyNot(cluster);
    return {
      concurrency: s6?.concurrency ?? '?',
      tool: s6?.tool ?? 'wrk',
      cores: s6?.cores ?? availableParallelism(),
      startsCpu: cpu(s6?.starts),
      completionsCpu: cpu(s6?.completions),
    };
  },
});
