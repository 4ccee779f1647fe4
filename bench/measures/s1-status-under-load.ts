/**
 * S1 status under load: `scaleOpen` (2,000) processes running at once on the durable server,
 * `scaleConcurrency` (16) readers of `GET /processes/{id}` over random ids (wrk), against the
 * same reads of the BullMQ build (bench/bullmq-app/) with as many jobs active, in the same run;
 * and the same reads again on the cluster.
 */
import { bullmqBuild, checkBullmq } from '../support/bullmq-build.js';
import { cpuMeter, cpuText, cpuTotal, type CpuBreakdown } from '../support/cpu.js';
import { httpGetLoad, type LatencyBurst } from '../support/http-load.js';
import { defineMeasure, valueOf, whyNot, type StepContext } from '../support/measure.js';
import { ageOf, scaleOpeningSeconds, scaleProcesses } from '../support/open-processes.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, ms, round } from '../support/stats.js';
import { launchScript, printed } from '../support/scripts.js';
import { freePort } from '../../scripts/launcher.js';

export interface ReadLoad extends LatencyBurst {
  readers: number;
  tool: string;
  /** Processes (jobs) read over, and how many had a runner running. */
  open: number;
  running: number;
  /** CPU seconds of each process of the side during the reads. */
  cpu: CpuBreakdown;
  /** Some processes may have finished their delay before the reads ended (a very slow run). */
  finishing?: boolean;
}

/** Reads before the measured ones, to warm up each side. */
const warmupSeconds = (s: Sizes) => Math.max(1, Math.round(s.readSeconds / 5));

/** Warm-up, then the measured reads; CPU of `parts` during the latter. */
async function readFor(
  { sizes, dir, signal, log }: StepContext,
  baseUrl: string,
  ids: string[],
  parts: Record<string, number>,
): Promise<Omit<ReadLoad, 'open' | 'running'>> {
  const load = httpGetLoad(
    baseUrl,
    ids.map((id) => `/processes/${id}`),
    sizes.scaleConcurrency,
    dir,
  );
  await load.run(warmupSeconds(sizes), signal);
  const meter = cpuMeter(parts);
  const reads = await load.run(sizes.readSeconds, signal);
  const cpu = meter.read();
  log(`${reads.ok} reads, p50 ${ms(reads.p50)}, p99 ${ms(reads.p99)}; CPU ${cpuText(cpu)}`);
  return { ...reads, readers: sizes.scaleConcurrency, tool: load.tool, cpu };
}

const limit = (s: Sizes) => scaleOpeningSeconds(s.scaleOpen) + 4 * s.readSeconds;

/** longrun's reads over its stack's open processes (on the durable dev server, or the cluster). */
async function longrunReads(ctx: StepContext): Promise<ReadLoad> {
  const { stack } = ctx;
  const opened = await ctx.use(scaleProcesses);
  const reads = await readFor(ctx, stack.apiUrl, opened.ids, {
    ...stack.server.parts,
    API: stack.api!.pid,
    worker: stack.worker!.pid,
  });
  return { ...reads, open: opened.open, running: opened.running, finishing: ageOf(opened).finishing };
}

/**
 * The floor of these reads: the least an HTTP API that reads Temporal on every `GET` does
 * (bench/floor/read-app.ts: one raw describe, no key, log or metric), its own process, read by
 * the same tool over the same processes, right after longrun's `GET`s.
 */
async function floorReads(ctx: StepContext): Promise<ReadLoad> {
  const { stack, signal, defer } = ctx;
  const opened = await ctx.use(scaleProcesses);
  const port = await freePort();
  const app = launchScript('floor read app', 'bench/floor/read-app.ts', {
    TEMPORAL_ADDRESS: stack.server.address,
    PORT: String(port),
  });
  defer(() => app.stop());
  await printed(app, /^listening on/m, { what: 'floor read app listening', timeoutMs: 60_000, signal });
  const reads = await readFor(ctx, `http://127.0.0.1:${port}`, opened.ids, {
    ...stack.server.parts,
    'floor app': app.pid,
  });
  return { ...reads, open: opened.open, running: opened.running };
}

const failed = (r: ReadLoad) => (r.failures > 0 ? `; ${grouped(r.failures)} failed` : '');
const latency = (r: ReadLoad) =>
  `p50 ${ms(r.p50)}, p99 ${ms(r.p99)} (\`GET /processes/{id}\`${failed(r)})` +
  (r.finishing ? '; some processes had finished by then' : '');

export const statusUnderLoad = defineMeasure<{
  longrun: ReadLoad;
  floor: ReadLoad;
  cluster: ReadLoad;
  bullmq: ReadLoad;
}>({
  id: 'S1',
  title: 'status under load',
  steps: {
    longrun: {
      on: 'durable',
      label: 'status under load (longrun, durable)',
      uses: [scaleProcesses],
      timeLimitSeconds: limit,
      run: longrunReads,
    },
    floor: {
      on: 'durable',
      label: 'status under load (floor: one raw describe per GET, durable)',
      uses: [scaleProcesses],
      timeLimitSeconds: limit,
      run: floorReads,
    },
    cluster: {
      on: 'cluster',
      label: 'status under load (longrun, cluster)',
      uses: [scaleProcesses],
      timeLimitSeconds: limit,
      run: longrunReads,
    },
    bullmq: {
      on: 'none',
      label: 'status under load (BullMQ build, Redis durable)',
      uses: [bullmqBuild],
      timeLimitSeconds: (s) => 300 + 4 * s.readSeconds,
      async run(ctx) {
        checkBullmq();
        const build = await ctx.use(bullmqBuild);
        const { ids, worker } = await build.activate(ctx);
        const reads = await readFor(ctx, build.url, ids, {
          redis: build.redis.process.pid,
          app: build.app.pid,
          worker: worker.pid,
        });
        return { ...reads, open: ids.length, running: ids.length };
      },
    },
  },
  rows: ({ longrun, floor, cluster, bullmq }) => {
    const ours = valueOf(longrun);
    const least = valueOf(floor);
    const bull = valueOf(bullmq);
    const onCluster = valueOf(cluster);
    const ratio = ours && bull ? round(ours.p99 / bull.p99) : undefined;
    const size = ours ?? onCluster ?? bull;
    const running = (r: ReadLoad | undefined) =>
      r && r.running < r.open ? ` (${grouped(r.running)} runners running)` : '';
    const title = (r: ReadLoad | undefined, where: string) =>
      `Status under load: ${size ? grouped(size.open) : '?'} running${running(r)}, ${size?.readers ?? '?'} readers, ${where}`;
    return [
      [
        'S1',
        title(ours, 'durable'),
        ours ? latency(ours) : whyNot(longrun),
        bull
          ? `p50 ${ms(bull.p50)}, p99 ${ms(bull.p99)} (Hono + BullMQ build, ${grouped(bull.open)} active jobs${failed(bull)})`
          : whyNot(bullmq),
        ratio === undefined ? '—' : `p99 ${ratio}`,
        ours
          ? `p99 ≤ 100 ms ${check(ours.p99 <= 100)}, ≤ 3× ${ratio === undefined ? '—' : check(ratio <= 3)}`
          : 'p99 ≤ 100 ms, ≤ 3×',
      ],
      [
        '',
        title(least, 'durable, floor'),
        least
          ? `p50 ${ms(least.p50)}, p99 ${ms(least.p99)} (\`GET\` of an app doing one raw describe${failed(least)})`
          : whyNot(floor),
        bull ? `BullMQ build: p50 ${ms(bull.p50)}, p99 ${ms(bull.p99)}` : whyNot(bullmq),
        least && bull ? `p99 ${round(least.p99 / bull.p99)}` : '—',
        least && ours ? `longrun's GET ÷ this: p99 ${round(ours.p99 / least.p99)}` : '—',
      ],
      [
        '',
        title(onCluster, 'cluster'),
        onCluster ? latency(onCluster) : whyNot(cluster),
        ours ? `durable dev server: p50 ${ms(ours.p50)}, p99 ${ms(ours.p99)}` : whyNot(longrun),
        onCluster && ours ? `p99 ${round(onCluster.p99 / ours.p99)}` : '—',
        onCluster ? `p99 ≤ 100 ms ${check(onCluster.p99 <= 100)}` : 'p99 ≤ 100 ms',
      ],
    ];
  },
  method: ({ longrun, floor, cluster, bullmq }, { sizes }) => {
    const side = (r: ReadLoad | undefined, why: string) =>
      r
        ? `${grouped(r.ok)} reads in ${round(r.seconds, 1)} s (${grouped(Math.round(r.ok / r.seconds))}/s); CPU during them: ${cpuText(r.cpu)} (${round(cpuTotal(r.cpu) / r.seconds)} cores)`
        : why;
    const ours = valueOf(longrun);
    const bull = valueOf(bullmq);
    return {
      open: grouped(sizes.scaleOpen),
      readers: sizes.scaleConcurrency,
      tool: ours?.tool ?? bull?.tool ?? 'wrk',
      warmup: warmupSeconds(sizes),
      longrun: side(ours, whyNot(longrun)),
      floor: side(valueOf(floor), whyNot(floor)),
      cluster: side(valueOf(cluster), whyNot(cluster)),
      bullmq: side(bull, whyNot(bullmq)),
    };
  },
});
