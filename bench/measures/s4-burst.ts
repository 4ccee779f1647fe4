/**
 * S4 burst: `burst` (2,000) `POST /processes` at 16 in flight (wrk, until that many have answered)
 * against as many `client.workflow.start` calls with the start options the API builds, on the
 * durable server, in two alternating halves, to a task queue no worker polls (as P1). Beside it,
 * the BullMQ build's rate for the same burst (the POSTs that add S1's jobs); and the same two
 * sides again on the cluster.
 */
import { randomUUID } from 'node:crypto';
import { processOrchestrator } from '../../src/workflows/index.js';
import { bullmqBuild, checkBullmq, scaleJobInput, type Populated } from '../support/bullmq-build.js';
import { addCpu, cpuMeter, type CpuBreakdown } from '../support/cpu.js';
import { rawStartOptions } from '../support/delay-kind.js';
import { httpPostLoad, type Burst } from '../support/http-load.js';
import { defineMeasure, valueOf, whyNot, type StepContext } from '../support/measure.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, round } from '../support/stats.js';
import { pause, pool, reasonOf } from '../support/waits.js';

export interface BurstSide {
  starts: number;
  failures: number;
  seconds: number;
  rate: number;
  cpu: CpuBreakdown;
}

export interface BurstRate {
  api: BurstSide;
  raw: BurstSide;
  ratio: number;
  concurrency: number;
  tool: string;
}

/** The API's and raw starts in alternating halves on the step's stack (the durable dev server, or the cluster). */
async function burstRates({ stack, sizes, dir, signal, log, defer }: StepContext): Promise<BurstRate> {
  const idleQueue = `bench-idle-${randomUUID()}`;
  const api = await stack.startApi(idleQueue);
  defer(() => api.stop());
  const concurrency = sizes.scaleConcurrency;
  const body = { kind: 'delay', input: scaleJobInput };
  const load = httpPostLoad(`${api.url}/processes`, JSON.stringify(body), concurrency, dir);
  const raw = async (count: number): Promise<Burst> => {
    let failures = 0;
    const t0 = performance.now();
    await pool(
      count,
      concurrency,
      async () => {
        for (;;) {
          try {
            return await stack.client.workflow.start(
              processOrchestrator,
              rawStartOptions(idleQueue, body.input),
            );
          } catch (err) {
            signal.throwIfAborted();
            if (++failures === 1) log(`raw start failed: ${reasonOf(err)}`);
            if (failures > count / 10) throw err;
            await pause(100, signal);
          }
        }
      },
      signal,
    );
    return { ok: count, failures, seconds: (performance.now() - t0) / 1000 };
  };
  const cpuParts = { ...stack.server.parts, API: api.pid };
  const zero = (): BurstSide => ({ starts: 0, failures: 0, seconds: 0, rate: 0, cpu: {} });
  const sides = { api: zero(), raw: zero() };
  const runSide = async (side: 'api' | 'raw', count: number, measured: boolean) => {
    const meter = cpuMeter(cpuParts);
    const b = side === 'api' ? await load.burst(count, signal) : await raw(count);
    const cpu = meter.read();
    await pause(500, signal); // what is still in flight lands before the other side goes
    if (!measured) return;
    const s = sides[side];
    s.starts += b.ok;
    s.failures += b.failures;
    s.seconds += b.seconds;
    s.cpu = addCpu(s.cpu, cpu);
    log(`${side}: ${b.ok} starts in ${b.seconds.toFixed(2)} s`);
  };
  const warmup = Math.max(50, Math.round(sizes.burst / 10));
  await runSide('api', warmup, false);
  await runSide('raw', warmup, false);
  const half = Math.ceil(sizes.burst / 2);
  await runSide('raw', half, true);
  await runSide('api', half, true);
  await runSide('api', half, true);
  await runSide('raw', half, true);
  for (const s of Object.values(sides)) s.rate = round(s.starts / s.seconds, 1);
  return {
    api: sides.api,
    raw: sides.raw,
    ratio: round(sides.api.rate / sides.raw.rate, 3),
    concurrency,
    tool: load.tool,
  };
}

const limit = (s: Sizes) => 180 + s.burst * 0.2;

export const burst = defineMeasure<{ longrun: BurstRate; cluster: BurstRate; bullmq: Populated }>({
  id: 'S4',
  title: 'burst of starts',
  steps: {
    longrun: {
      on: 'durable',
      label: 'burst (longrun and raw starts, durable)',
      timeLimitSeconds: limit,
      run: burstRates,
    },
    cluster: {
      on: 'cluster',
      label: 'burst (longrun and raw starts, cluster)',
      timeLimitSeconds: limit,
      run: burstRates,
    },
    bullmq: {
      on: 'none',
      label: 'burst (BullMQ build, Redis durable)',
      uses: [bullmqBuild],
      timeLimitSeconds: (s) => 180 + s.scaleOpen * 0.2,
      async run(ctx) {
        checkBullmq();
        const build = await ctx.use(bullmqBuild);
        return build.populate(ctx);
      },
    },
  },
  rows: ({ longrun, cluster, bullmq }) => {
    const s4 = valueOf(longrun);
    const onCluster = valueOf(cluster);
    const bull = valueOf(bullmq);
    const title = (r: BurstRate | undefined, where: string) =>
      `Burst: ${r ? grouped(r.api.starts) : '?'} starts, ${r?.concurrency ?? '?'} in flight, ${where}`;
    const api = (r: BurstRate) => `${grouped(r.api.rate)} starts/s (\`POST /processes\`, ${r.tool})`;
    const raw = (r: BurstRate) => `${grouped(r.raw.rate)} starts/s (\`client.workflow.start\`)`;
    return [
      [
        'S4',
        title(s4, 'durable'),
        s4 ? api(s4) : whyNot(longrun),
        (s4 ? raw(s4) : whyNot(longrun)) +
          `; BullMQ build: ${bull ? `${grouped(round(bull.ok / bull.seconds, 1))} starts/s` : whyNot(bullmq)}`,
        s4 ? `${s4.ratio}` : '—',
        s4 ? `≥ 0.9 ${check(s4.ratio >= 0.9)}` : '≥ 0.9',
      ],
      [
        '',
        title(onCluster, 'cluster'),
        onCluster ? api(onCluster) : whyNot(cluster),
        (onCluster ? raw(onCluster) : whyNot(cluster)) +
          (s4 ? `; durable dev server: ${grouped(s4.api.rate)} through the API` : ''),
        onCluster ? `${onCluster.ratio}` : '—',
        onCluster ? `≥ 0.9 ${check(onCluster.ratio >= 0.9)}` : '≥ 0.9',
      ],
    ];
  },
  method: ({ longrun, cluster, bullmq }, { sizes }) => {
    const s4 = valueOf(longrun);
    const bull = valueOf(bullmq);
    const perStart = (s: BurstSide) =>
      Object.entries(s.cpu)
        .map(([name, cpu]) => `${name} ${round((cpu * 1000) / s.starts, 2)}`)
        .join(', ');
    const costs = (r: BurstRate) =>
      `CPU milliseconds per start through the API: ${perStart(r.api)}; raw: ${perStart(r.raw)} (this script's own client not counted)` +
      (r.api.failures + r.raw.failures > 0
        ? `; **${r.api.failures} API and ${r.raw.failures} raw failures**`
        : '');
    const onCluster = valueOf(cluster);
    return {
      burst: grouped(sizes.burst),
      half: grouped(Math.ceil(sizes.burst / 2)),
      concurrency: sizes.scaleConcurrency,
      warmup: Math.max(50, Math.round(sizes.burst / 10)),
      tool: s4?.tool ?? bull?.tool ?? 'wrk',
      longrun: s4 ? costs(s4) : whyNot(longrun),
      cluster: onCluster ? costs(onCluster) : whyNot(cluster),
      bullmq: bull
        ? `${grouped(bull.ok)} POSTs in ${round(bull.seconds, 2)} s${bull.failures > 0 ? `, **${bull.failures} failed**` : ''}`
        : whyNot(bullmq),
    };
  },
});
