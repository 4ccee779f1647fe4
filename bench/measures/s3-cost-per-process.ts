/**
 * S3 cost per process: no-op processes through longrun (`POST` with `Prefer: wait=30`, wrk, 16 in
 * flight; CPU of dev server + worker + API) against the floor (bench/floor/: a workflow that runs
 * one no-op activity, its own worker and client processes; CPU of dev server + floor worker +
 * floor client), on the same durable server, in alternating timed rounds. Also the workflow tasks
 * each side's histories hold. The same rounds again with both sides on the cluster.
 */
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { addCpu, cpuMeter, cpuText, cpuTotal, type CpuBreakdown } from '../support/cpu.js';
import { startFloor } from '../support/floor.js';
import { httpPostLoad } from '../support/http-load.js';
import {
  defineMeasure,
  valueOf,
  whyNot,
  type Outcome,
  type Row,
  type StepContext,
} from '../support/measure.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, round } from '../support/stats.js';
import { addOps, opsBetween, opTotals, serverOps, type OpCounts } from '../support/server-ops.js';
import { pause, waitFor } from '../support/waits.js';

const { EventType } = proto.temporal.api.enums.v1;

export interface CostSide {
  /** Processes completed within the rounds' time: the rate. */
  completed: number;
  /** Processes completed in all, those in flight at a round's end included: the CPU's share. */
  all: number;
  failures: number;
  seconds: number;
  rate: number;
  /** CPU seconds from each round's start until its last process had completed. */
  cpu: CpuBreakdown;
  /** CPU milliseconds per completed process. */
  cpuMs: number;
  /** Workflow tasks (WorkflowTaskCompleted events) per history, of the histories looked at. */
  workflowTasks: number[];
  /** Events per history. */
  events: number[];
  /** The server's writes of workflow state (creates and updates) per process. */
  workflowWrites: number;
}

export interface CostPerProcess {
  longrun: CostSide;
  floor: CostSide;
  cpuRatio: number;
  rateRatio: number;
  concurrency: number;
  tool: string;
}

/** Histories looked at on each side. */
const histories = 5;

async function taskCounts(client: Client, taskQueue: string) {
  const workflowTasks: number[] = [];
  const events: number[] = [];
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
  for await (const execution of client.workflow.list({ query, pageSize: histories })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    const all = history.events ?? [];
    workflowTasks.push(
      all.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    );
    events.push(all.length);
    if (workflowTasks.length >= histories) break;
  }
  return { workflowTasks, events };
}

interface Totals {
  completed: number;
  all: number;
  failures: number;
  seconds: number;
  cpu: CpuBreakdown;
  ops: OpCounts;
}

const sideOf = (totals: Totals, counts: { workflowTasks: number[]; events: number[] }): CostSide => ({
  ...totals,
  seconds: round(totals.seconds, 1),
  rate: round(totals.completed / totals.seconds, 1),
  cpuMs: round((cpuTotal(totals.cpu) * 1000) / totals.all, 1),
  ...counts,
  workflowWrites: round(opTotals(totals.ops).workflowWrites / totals.all, 2),
});

const list = (values: number[]) => [...new Set(values)].join('/');

const opsPerProcess = (ops: OpCounts, processes: number) =>
  Object.entries(ops)
    .sort(([, a], [, b]) => b - a)
    .map(([operation, count]) => `${operation} ${round(count / processes, 2)}`)
    .join(', ');

/** Older results (before the counts existed) have no `workflowWrites`. */
const opsText = (side: CostSide) =>
  side.workflowWrites ? `${side.workflowWrites} writes of workflow state` : 'server writes not counted';
const opsRatio = (ours: CostSide, floor: CostSide) =>
  ours.workflowWrites && floor.workflowWrites
    ? `, writes ${round(ours.workflowWrites / floor.workflowWrites, 2)}`
    : '';

/** longrun and the floor in alternating rounds on the step's stack (the durable dev server, or the cluster). */
async function costRounds(ctx: StepContext): Promise<CostPerProcess> {
  const { stack, sizes, dir, signal, log } = ctx;
  const { costSeconds: seconds, costRounds: rounds, scaleConcurrency: concurrency } = sizes;
  const floor = await startFloor(ctx, { seconds, concurrency });
  const body = JSON.stringify({ kind: 'delay', input: { seconds: 0.001, steps: 1 } });
  const load = httpPostLoad(`${stack.apiUrl}/processes`, body, concurrency, dir, { Prefer: 'wait=30' });
  const parts = {
    longrun: { ...stack.server.parts, worker: stack.worker!.pid, API: stack.api!.pid },
    floor: { ...stack.server.parts, worker: floor.worker.pid, client: floor.client.pid },
  };
  const zero = (): Totals => ({ completed: 0, all: 0, failures: 0, seconds: 0, cpu: {}, ops: {} });
  const totals = { longrun: zero(), floor: zero() };
  const visible = async (status: string) =>
    (await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = '${status}'`))
      .count;
  // A round's CPU runs until its last process has completed, and is shared by all it completed.
  const runSide = async (side: 'longrun' | 'floor', measured: boolean) => {
    const meter = cpuMeter(parts[side]);
    const opsBefore = await serverOps(stack.server.metricsUrls);
    let run: Omit<Totals, 'cpu' | 'ops'>;
    if (side === 'longrun') {
      const before = await visible('Completed');
      const burst = await load.run(seconds, signal);
      // wrk has let go of the requests in flight; their processes run on to the end.
      await waitFor(
        () => visible('Running'),
        (n) => n === 0,
        {
          timeoutMs: 120_000,
          intervalMs: 100,
          what: 'the last no-op processes completing',
          signal,
        },
      );
      const all = (await visible('Completed')) - before;
      run = { completed: burst.ok, all, failures: burst.failures, seconds: burst.seconds };
    } else {
      run = await floor.round();
    }
    const cpu = meter.read();
    const ops = opsBetween(opsBefore, await serverOps(stack.server.metricsUrls));
    await pause(500, signal);
    if (!measured) return;
    const total = totals[side];
    total.completed += run.completed;
    total.all += run.all;
    total.failures += run.failures;
    total.seconds += run.seconds;
    total.cpu = addCpu(total.cpu, cpu);
    total.ops = addOps(total.ops, ops);
    log(`${side}: ${run.completed} in ${run.seconds.toFixed(1)} s (${run.all} in all), CPU ${cpuText(cpu)}`);
  };
  // Warm-up: JIT, connections, the server's caches; a round of the floor's length each.
  await runSide('longrun', false);
  await runSide('floor', false);
  for (let r = 0; r < rounds; r++)
    for (const side of r % 2 === 0 ? (['floor', 'longrun'] as const) : (['longrun', 'floor'] as const))
      await runSide(side, true);
  for (const side of ['longrun', 'floor'] as const)
    log(`${side}: store operations per process ${opsPerProcess(totals[side].ops, totals[side].all)}`);
  const longrun = sideOf(totals.longrun, await taskCounts(stack.client, stack.taskQueue));
  const floorSide = sideOf(totals.floor, await taskCounts(stack.client, floor.taskQueue));
  return {
    longrun,
    floor: floorSide,
    cpuRatio: round(longrun.cpuMs / floorSide.cpuMs, 3),
    // No floor process completed in time (a machine far too busy): no ratio.
    rateRatio: floorSide.rate > 0 ? round(longrun.rate / floorSide.rate, 3) : NaN,
    concurrency,
    tool: load.tool,
  };
}

const limit = (s: Sizes) => 420 + s.costRounds * 2 * (s.costSeconds + 10) * 2;

function row(id: string, where: string, outcome: Outcome<CostPerProcess> | undefined): Row {
  const s3 = valueOf(outcome);
  if (!s3) return [id, `Cost per no-op process, ${where}`, whyNot(outcome), '—', '—', '—'];
  const { longrun: ours, floor } = s3;
  const tasksOk = Math.max(...ours.workflowTasks) <= Math.min(...floor.workflowTasks) + 1;
  // JSON has no NaN: a missing ratio comes back as null.
  const rated = typeof s3.rateRatio === 'number' && Number.isFinite(s3.rateRatio);
  return [
    id,
    `Cost per no-op process, ${s3.concurrency} in flight, ${where}`,
    `${ours.cpuMs} ms CPU per process, ${grouped(ours.rate)} completed/s, ${list(ours.workflowTasks)} workflow tasks, ${opsText(ours)} (\`POST\` + \`Prefer: wait=30\`)`,
    `${floor.cpuMs} ms CPU, ${grouped(floor.rate)}/s, ${list(floor.workflowTasks)} workflow tasks, ${opsText(floor)} (the floor: one no-op activity, its own worker and client)`,
    `CPU ${s3.cpuRatio}, rate ${rated ? s3.rateRatio : '—'}${opsRatio(ours, floor)}`,
    `CPU ≤ 1.15 ${check(s3.cpuRatio <= 1.15)}, rate ≥ 0.9 ${rated ? check(s3.rateRatio >= 0.9) : '—'}, tasks ≤ floor + 1 ${check(tasksOk)}`,
  ];
}

export const costPerProcess = defineMeasure<{ rounds: CostPerProcess; cluster: CostPerProcess }>({
  id: 'S3',
  title: 'cost per process',
  steps: {
    rounds: {
      on: 'durable',
      label: 'cost per no-op process (longrun and the floor, durable)',
      timeLimitSeconds: limit,
      run: costRounds,
    },
    cluster: {
      on: 'cluster',
      label: 'cost per no-op process (longrun and the floor, cluster)',
      timeLimitSeconds: limit,
      run: costRounds,
    },
  },
  rows: ({ rounds, cluster }) => [row('S3', 'durable', rounds), row('', 'cluster', cluster)],
  method: ({ rounds, cluster }, { sizes }) => {
    const side = (s: CostSide) =>
      `${grouped(s.completed)} completed in ${s.seconds} s (${grouped(s.all)} with those still in flight then), CPU-seconds ${cpuText(s.cpu)}` +
      `${s.failures > 0 ? `, **${s.failures} failed**` : ''}; ${list(s.events)} events per history`;
    const durable = valueOf(rounds);
    const onCluster = valueOf(cluster);
    const s3 = durable ?? onCluster!;
    return {
      concurrency: s3.concurrency,
      tool: s3.tool,
      costSeconds: sizes.costSeconds,
      costRounds: sizes.costRounds,
      histories,
      longrun: durable ? side(durable.longrun) : whyNot(rounds),
      floor: durable ? side(durable.floor) : whyNot(rounds),
      cluster: onCluster
        ? `longrun: ${side(onCluster.longrun)}; floor: ${side(onCluster.floor)}`
        : whyNot(cluster),
    };
  },
});
