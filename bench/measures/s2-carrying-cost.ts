/**
 * S2 carrying cost: the CPU the whole stack (dev server + worker + API) spends while S1's 2,000
 * processes run with nobody reading, per running process per second and in cores; beside it, the
 * BullMQ build's (Redis + app + worker) with as many jobs active; and again on the cluster (its
 * PostgreSQL and every Temporal service in place of the dev server).
 */
import { bullmqBuild, checkBullmq, scaleJobInput } from '../support/bullmq-build.js';
import { cpuMeter, cpuText, cpuTotal, type CpuBreakdown } from '../support/cpu.js';
import { delayPolicyMs } from '../support/delay-kind.js';
import { defineMeasure, valueOf, whyNot, type StepContext } from '../support/measure.js';
import { ageOf, scaleOpeningSeconds, scaleProcesses } from '../support/open-processes.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, round } from '../support/stats.js';
import { opsBetween, opTotals, serverOps } from '../support/server-ops.js';
import { pause } from '../support/waits.js';

export interface Carrying {
  running: number;
  seconds: number;
  cpu: CpuBreakdown;
  cores: number;
  /** CPU microseconds per running process per second. */
  perProcessUs: number;
  finishing?: boolean;
  /** longrun only: the Temporal server's writes per second, and those of workflow state among them. */
  store?: { writesPerSecond: number; workflowWritesPerSecond: number };
}

/** Before measuring: what the last reads or starts left in flight settles. */
const settleMs = 10_000;

async function idleFor(
  { sizes, signal, log }: StepContext,
  running: number,
  parts: Record<string, number>,
  metricsUrls?: readonly string[],
): Promise<Carrying> {
  await pause(settleMs, signal);
  const meter = cpuMeter(parts);
  const opsBefore = metricsUrls ? await serverOps(metricsUrls) : {};
  const t0 = performance.now();
  await pause(sizes.idleSeconds * 1000, signal);
  const cpu = meter.read();
  const seconds = (performance.now() - t0) / 1000;
  const ops = metricsUrls ? opTotals(opsBetween(opsBefore, await serverOps(metricsUrls))) : undefined;
  const total = cpuTotal(cpu);
  log(`${running} running, ${round(total / seconds)} cores: ${cpuText(cpu)}`);
  return {
    running,
    seconds: round(seconds, 1),
    cpu,
    cores: round(total / seconds, 3),
    perProcessUs: round((total * 1e6) / (running * seconds), 1),
    ...(ops?.all && {
      store: {
        writesPerSecond: round(ops.writes / seconds, 1),
        workflowWritesPerSecond: round(ops.workflowWrites / seconds, 1),
      },
    }),
  };
}

/**
 * The heartbeats per process per second the delay kind's pace implies for these processes: each
 * step's report, and a keep-alive every 4/5 of the heartbeat timeout in between.
 */
export function impliedHeartbeats(input: { seconds: number; steps: number }) {
  const keepAliveMs = delayPolicyMs.heartbeatTimeout * 0.8;
  const stepMs = (input.seconds * 1000) / input.steps;
  const perStep = Math.ceil(stepMs / keepAliveMs);
  return { keepAliveMs, stepMs, perProcessPerSecond: perStep / (stepMs / 1000) };
}

/** longrun's whole stack idle with its open processes (on the durable dev server, or the cluster). */
async function longrunIdle(ctx: StepContext): Promise<Carrying> {
  const { stack } = ctx;
  const opened = await ctx.use(scaleProcesses);
  const carrying = await idleFor(
    ctx,
    opened.running,
    { ...stack.server.parts, worker: stack.worker!.pid, API: stack.api!.pid },
    stack.server.metricsUrls,
  );
  return { ...carrying, finishing: ageOf(opened).finishing };
}

const longrunLimit = (s: Sizes) => scaleOpeningSeconds(s.scaleOpen) + 2 * s.idleSeconds + 60;

function longrunCell(ours: Carrying): string {
  const pace = impliedHeartbeats(scaleJobInput);
  return (
    `${ours.cores} cores (${cpuText(ours.cpu)} CPU-s in ${ours.seconds} s): ${ours.perProcessUs} µs of CPU per process per second; ` +
    `the kind's pace implies ${grouped(Math.round(ours.running * pace.perProcessPerSecond))} heartbeats/s` +
    (ours.store
      ? `; the server wrote ${grouped(ours.store.writesPerSecond)} times a second (${grouped(ours.store.workflowWritesPerSecond)} of workflow state)`
      : '') +
    (ours.finishing ? '; some processes had finished by then' : '')
  );
}

export const carryingCost = defineMeasure<{ longrun: Carrying; cluster: Carrying; bullmq: Carrying }>({
  id: 'S2',
  title: 'carrying cost',
  steps: {
    longrun: {
      on: 'durable',
      label: 'carrying cost (longrun, durable)',
      uses: [scaleProcesses],
      timeLimitSeconds: longrunLimit,
      run: longrunIdle,
    },
    cluster: {
      on: 'cluster',
      label: 'carrying cost (longrun, cluster)',
      uses: [scaleProcesses],
      timeLimitSeconds: longrunLimit,
      run: longrunIdle,
    },
    bullmq: {
      on: 'none',
      label: 'carrying cost (BullMQ build, Redis durable)',
      uses: [bullmqBuild],
      timeLimitSeconds: (s) => 300 + 2 * s.idleSeconds + 60,
      async run(ctx) {
        checkBullmq();
        const build = await ctx.use(bullmqBuild);
        const { ids, worker } = await build.activate(ctx);
        return idleFor(ctx, ids.length, {
          redis: build.redis.process.pid,
          app: build.app.pid,
          worker: worker.pid,
        });
      },
    },
  },
  rows: ({ longrun, cluster, bullmq }) => {
    const ours = valueOf(longrun);
    const bull = valueOf(bullmq);
    const onCluster = valueOf(cluster);
    return [
      [
        'S2',
        `Carrying cost: ${ours ? grouped(ours.running) : '?'} running, nobody reading, durable`,
        ours ? longrunCell(ours) : whyNot(longrun),
        bull
          ? `${bull.cores} cores (${cpuText(bull.cpu)}): ${bull.perProcessUs} µs per job per second (BullMQ build, ${grouped(bull.running)} active jobs)`
          : whyNot(bullmq),
        ours && bull ? `${round(ours.cores / bull.cores, 1)}` : '—',
        ours ? `≤ 1 core ${check(ours.cores <= 1)}` : '≤ 1 core',
      ],
      [
        '',
        `Carrying cost: ${onCluster ? grouped(onCluster.running) : '?'} running, nobody reading, cluster`,
        onCluster ? longrunCell(onCluster) : whyNot(cluster),
        ours ? `durable dev server: ${ours.cores} cores` : whyNot(longrun),
        onCluster && ours ? `${round(onCluster.cores / ours.cores, 2)}` : '—',
        onCluster ? `≤ 1 core ${check(onCluster.cores <= 1)}` : '≤ 1 core',
      ],
    ];
  },
  method: ({ longrun }, { sizes }) => {
    const pace = impliedHeartbeats(scaleJobInput);
    const ours = valueOf(longrun);
    return {
      open: grouped(sizes.scaleOpen),
      idleSeconds: sizes.idleSeconds,
      settleSeconds: settleMs / 1000,
      keepAlive: `${round(pace.keepAliveMs / 1000, 1)} s`,
      heartbeatTimeout: `${round(delayPolicyMs.heartbeatTimeout / 1000, 1)} s`,
      step: `${round(pace.stepMs / 1000, 1)} s`,
      everySeconds: round(1 / pace.perProcessPerSecond, 1),
      heartbeats: grouped(Math.round((ours?.running ?? sizes.scaleOpen) * pace.perProcessPerSecond)),
    };
  },
});
