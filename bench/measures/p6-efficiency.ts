/**
 * P6 efficiency: no-op processes completed per CPU-second of the whole stack, longrun (dev server
 * + API + worker; in memory and on a SQLite file) against BullMQ (Redis + one producer and worker
 * process; without persistence and with AOF fsync always). The BullMQ runs happen once every
 * Temporal stack is down, so that nothing idles beside them.
 */
import { launch } from '../../scripts/launcher.js';
import { cpuOf } from '../support/cpu.js';
import { packageVersion } from '../support/debian.js';
import { defineMeasure, Skip, valueOf, whyNot, type Outcome, type StepContext } from '../support/measure.js';
import { startRedis, type RedisPersistence } from '../support/redis.js';
import { skipBullmq } from '../support/sizes.js';
import { grouped, round } from '../support/stats.js';
import { pool, requestJson, waitFor } from '../support/waits.js';

export interface Efficiency {
  jobs: number;
  cpuSeconds: number;
  perCpuSecond: number;
  wallSeconds: number;
  breakdown: Record<string, number>;
}

export interface BullmqEfficiency extends Efficiency {
  redis: string;
  bullmq: string;
  durability: string;
}

function efficiency(jobs: number, breakdown: Record<string, number>, wallSeconds: number): Efficiency {
  const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    jobs,
    cpuSeconds: round(total),
    perCpuSecond: round(jobs / total, 1),
    wallSeconds: round(wallSeconds, 1),
    breakdown,
  };
}

async function longrunEfficiency({ stack, sizes, signal }: StepContext): Promise<Efficiency> {
  const completed = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Completed'`;
  const count = async () => (await stack.client.workflow.count(completed)).count;
  const baseline = await count();
  const parts = { ...stack.server.parts, API: stack.api!.pid, worker: stack.worker!.pid };
  const t0 = performance.now();
  const breakdown = await cpuOf(parts, async () => {
    let refused = 0;
    await pool(
      sizes.jobs,
      sizes.concurrency,
      async () => {
        const answer = await requestJson(`${stack.apiUrl}/processes`, {
          method: 'POST',
          body: { kind: 'delay', input: { seconds: 0.001, steps: 1 } },
          signal,
        });
        if (answer.status !== 202) refused++;
      },
      signal,
    );
    if (refused > 0) throw new Error(`${refused} starts refused`);
    await waitFor(count, (n) => n >= baseline + sizes.jobs, {
      timeoutMs: 600_000,
      intervalMs: 250,
      what: 'completions',
      signal,
    });
  });
  return efficiency(sizes.jobs, breakdown, (performance.now() - t0) / 1000);
}

async function bullmqEfficiency(ctx: StepContext, persistence: RedisPersistence): Promise<BullmqEfficiency> {
  if (skipBullmq) throw new Skip('BENCH_SKIP_BULLMQ=1');
  const { sizes, signal, defer } = ctx;
  const redis = await startRedis(ctx, persistence);
  const job = launch('bullmq', process.execPath, ['--import', 'tsx', 'bench/bullmq-job.ts'], {
    REDIS_PORT: String(redis.port),
    BENCH_JOBS: String(sizes.bullmqJobs),
    BENCH_CONCURRENCY: String(sizes.concurrency),
  });
  defer(() => job.stop());
  const output = (pattern: RegExp, what: string, timeoutMs: number) =>
    waitFor(
      () => Promise.resolve(job.output()),
      (out) => pattern.test(out) || !job.alive(),
      { timeoutMs, intervalMs: 100, what, signal },
    );
  await output(/^ready$/m, 'BullMQ ready', 60_000);
  if (!job.alive()) throw new Error(`BullMQ job process exited:\n${job.output()}`);
  let out = '';
  const breakdown = await cpuOf(
    { redis: redis.process.pid, 'BullMQ producer + worker': job.pid },
    async () => {
      job.child.kill('SIGUSR2');
      out = await output(/^done /m, 'BullMQ jobs', 600_000);
    },
  );
  const done = /^done (.*)$/m.exec(out);
  if (!done) throw new Error(`BullMQ job process failed:\n${out}`);
  const summary = JSON.parse(done[1]!) as { completed: number; failed: number; seconds: number };
  if (summary.completed !== sizes.bullmqJobs) throw new Error(`BullMQ: ${JSON.stringify(summary)}`);
  return {
    ...efficiency(sizes.bullmqJobs, breakdown, summary.seconds),
    redis: redis.version,
    bullmq: packageVersion('bullmq'),
    durability: redis.durability,
  };
}

function efficiencyRow(label: string, longrun: Outcome<Efficiency>, bullmq: Outcome<BullmqEfficiency>) {
  const ours = valueOf(longrun);
  const bull = valueOf(bullmq);
  return [
    '',
    label,
    ours
      ? `${grouped(ours.perCpuSecond)} processes per CPU-second (dev server + API + worker)`
      : whyNot(longrun),
    bull
      ? `${grouped(bull.perCpuSecond)} jobs per CPU-second (Redis + BullMQ producer and worker)`
      : whyNot(bullmq),
    ours && bull ? `${round(ours.perCpuSecond / bull.perCpuSecond, 3)}` : '—',
    '—',
  ] as const;
}

const jobsLimit = (jobs: number) => 120 + jobs * 0.6;

export const efficiencyMeasure = defineMeasure<{
  memory: Efficiency;
  durable: Efficiency;
  bullmqVolatile: BullmqEfficiency;
  bullmqDurable: BullmqEfficiency;
}>({
  id: 'P6',
  title: 'efficiency, no-op processes',
  steps: {
    memory: {
      on: 'memory',
      label: 'efficiency (Temporal in memory)',
      timeLimitSeconds: (s) => jobsLimit(s.jobs),
      run: longrunEfficiency,
    },
    durable: {
      on: 'durable',
      label: 'efficiency (Temporal on a SQLite file)',
      timeLimitSeconds: (s) => jobsLimit(s.jobs),
      run: longrunEfficiency,
    },
    bullmqVolatile: {
      on: 'none',
      label: 'efficiency (BullMQ, Redis volatile)',
      timeLimitSeconds: (s) => jobsLimit(s.bullmqJobs / 10),
      run: (ctx) => bullmqEfficiency(ctx, 'volatile'),
    },
    bullmqDurable: {
      on: 'none',
      label: 'efficiency (BullMQ, Redis durable)',
      timeLimitSeconds: (s) => jobsLimit(s.bullmqJobs / 10),
      run: (ctx) => bullmqEfficiency(ctx, 'durable'),
    },
  },
  rows: (o) => [
    ['P6', 'Efficiency, no-op processes:', '', '', '', ''],
    [
      ...efficiencyRow(
        '• nothing on disk: Temporal in memory, Redis without persistence',
        o.memory,
        o.bullmqVolatile,
      ),
    ],
    [
      ...efficiencyRow(
        '• durable: Temporal on a SQLite file, Redis AOF with fsync always',
        o.durable,
        o.bullmqDurable,
      ),
    ],
  ],
  machine: (o) => {
    const bull = valueOf(o.bullmqDurable) ?? valueOf(o.bullmqVolatile);
    return {
      'Redis / BullMQ': bull ? `Redis ${bull.redis}, BullMQ ${bull.bullmq}` : whyNot(o.bullmqDurable),
    };
  },
  method: (o, { sizes }) => {
    const breakdown = (parts: Record<string, number>) =>
      Object.entries(parts)
        .map(([name, cpu]) => `${name} ${cpu}`)
        .join(', ');
    const figure = (what: string, outcome: Outcome<Efficiency | BullmqEfficiency>) => {
      const e = valueOf(outcome);
      if (!e) return `${what}: ${whyNot(outcome)}`;
      const durability = 'durability' in e ? `, ${e.durability}` : '';
      return `${what}${durability}: ${e.cpuSeconds} CPU-seconds (${breakdown(e.breakdown)}) in ${e.wallSeconds} s`;
    };
    return {
      jobs: grouped(sizes.jobs),
      concurrency: sizes.concurrency,
      bullmqJobs: grouped(sizes.bullmqJobs),
      memory: figure('Temporal in memory', o.memory),
      durable: figure("Temporal on a SQLite file (the dev server's defaults)", o.durable),
      bullmqVolatile: figure('Redis', o.bullmqVolatile),
      bullmqDurable: figure('Redis', o.bullmqDurable),
    };
  },
});
