/**
 * Many long processes open at once on a fresh worker (P2 and P4 share one set): started with
 * bounded concurrency, transient failures retried, and ready when the runners have started as far
 * as the worker lets them, read from visibility and describe, never from a query a busy worker
 * may not answer in time. The worker's memory is read before and after.
 */
import { processOrchestrator } from '../../src/workflows/index.js';
import { rawStartOptions, type DelayInput } from './delay-kind.js';
import { defineFixture, type Fixture, type StepContext } from './measure.js';
import type { Sizes } from './sizes.js';
import { treeRssKiB } from './stack.js';
import { mib } from './stats.js';
import { alreadyStarted, pause, pool, reasonOf, retrying } from './waits.js';

export interface OpenProcesses {
  ids: string[];
  open: number;
  /** Runners actually running (the rest queued for a worker slot). */
  running: number;
  /** Processes whose workflow had scheduled its runner, i.e. run its first task on the worker. */
  loaded: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** Starts tried again after a transient failure. */
  startRetries: number;
  /** When the first start was sent (ms since the epoch): none has run its full delay before `startedAt + seconds`. */
  startedAt: number;
  /** Their input. */
  input: DelayInput;
}

/** Per call: a server too busy to answer in this time is asked again. */
const callDeadlineMs = 30_000;
/**
 * Ready when every runner runs. On a machine too busy for that, when their count has not grown
 * for `stalledSeconds` (and is not zero: the worker may still be taking the first tasks), or
 * after `readySeconds` in all. P2 and P4 read what is open by then; the scale measures need every
 * runner running, so they wait longer.
 */
export interface Patience {
  stalledSeconds: number;
  readySeconds: number;
}

const defaultPatience: Patience = { stalledSeconds: 20, readySeconds: 300 };

/** A set of processes of the `delay` kind, `count(sizes)` of them, opened once per stack. */
export function openProcessesFixture(options: {
  name: string;
  count: (sizes: Sizes) => number;
  input: DelayInput;
  /** Runner slots beyond one per process, for processes a measure starts beside them. */
  spareRunners?: number;
  patience?: Patience;
}): Fixture<OpenProcesses> {
  return defineFixture({
    name: options.name,
    open: (ctx) =>
      openAll(ctx, options.count(ctx.sizes), options.input, {
        spareRunners: options.spareRunners ?? 0,
        patience: options.patience ?? defaultPatience,
      }),
  });
}

/** The scale measures' patience: their figures mean nothing until every runner runs. */
const scalePatience: Patience = { stalledSeconds: 90, readySeconds: 900 };

/** The longest opening `count` processes with the scale measures' patience may take: starts, waiting, counting. */
export const scaleOpeningSeconds = (count: number): number =>
  300 + count * 0.2 + scalePatience.readySeconds + 120;

/** P2 and P4 (in memory and durable): `BENCH_OPEN` processes that run for 10 minutes in 10 steps. */
export const openProcesses = openProcessesFixture({
  name: 'open processes',
  count: (sizes) => sizes.open,
  input: { seconds: 600, steps: 10 },
});

/**
 * The scale measures' processes: 10 minutes in 1-minute steps, with runner slots to spare for the
 * processes S5 follows beside them.
 */
const atScale = { input: { seconds: 600, steps: 10 }, spareRunners: 100, patience: scalePatience };

/** S1, S2 and S5: `BENCH_SCALE_OPEN` (2,000) of them. */
export const scaleProcesses = openProcessesFixture({
  name: 'processes at scale',
  count: (sizes) => sizes.scaleOpen,
  ...atScale,
});

/** S5's smaller case: `BENCH_FRESHNESS_OPEN` (100) of them. */
export const someProcesses = openProcessesFixture({
  name: 'some processes',
  count: (sizes) => sizes.freshnessOpen,
  ...atScale,
});

/** How long the oldest of a set has run, and whether any may have finished its delay by now. */
export function ageOf(opened: OpenProcesses): { seconds: number; finishing: boolean } {
  const seconds = (Date.now() - opened.startedAt) / 1000;
  return { seconds: Math.round(seconds), finishing: seconds >= opened.input.seconds };
}

async function openAll(
  ctx: StepContext,
  open: number,
  input: DelayInput,
  { spareRunners, patience }: { spareRunners: number; patience: Patience },
): Promise<OpenProcesses> {
  const { stalledSeconds, readySeconds } = patience;
  const { stack, sizes, signal, log, defer } = ctx;
  // A fresh worker, for a clean memory baseline, with a runner slot for every process
  // (MAX_CONCURRENT_RUNNERS in src/config.ts; its default, 100, would leave most of them queued).
  const worker = await stack.replaceWorker({ MAX_CONCURRENT_RUNNERS: String(open + spareRunners) });
  await pause(3000, signal);
  const rssBeforeKiB = treeRssKiB(worker.pid);

  log(`starting ${open} long processes`);
  const startedAt = Date.now();
  const ids: string[] = [];
  // Every id tried is terminated, also one whose start went through but whose answer was lost.
  defer(() => terminateAll(ctx, ids));
  let startRetries = 0;
  await pool(
    open,
    sizes.concurrency,
    async () => {
      const options = rawStartOptions(stack.taskQueue, input);
      ids.push(options.workflowId);
      await retrying(
        async (attempt) => {
          try {
            await bounded(ctx, () => stack.client.workflow.start(processOrchestrator, options));
          } catch (err) {
            if (!(attempt > 1 && alreadyStarted(err))) throw err;
          }
        },
        { attempts: 6, signal, onRetry: () => startRetries++ },
      );
    },
    signal,
  );
  if (startRetries > 0) log(`${startRetries} starts tried again after a transient failure`);

  // Terminated processes keep the status they had: only open workflows count (earlier sets on
  // the stack's queue were terminated while running).
  const runningQuery = `TaskQueue = '${stack.taskQueue}' AND LongrunStatus = 'running' AND ExecutionStatus = 'Running'`;
  let running = 0;
  const waitStart = performance.now();
  const waited = () => (performance.now() - waitStart) / 1000;
  let grewAt = 0;
  while (running < open && waited() < readySeconds && !(running > 0 && waited() - grewAt >= stalledSeconds)) {
    await pause(1000, signal);
    try {
      const count = (await bounded(ctx, () => stack.client.workflow.count(runningQuery))).count;
      if (count > running) grewAt = waited();
      running = Math.min(open, Math.max(running, count));
    } catch (err) {
      log(`counting running processes: ${reasonOf(err)}; again in a second`);
    }
  }
  log(`${running} of ${open} running after ${Math.round(waited())} s`);
  const loaded = running < open ? await countLoaded(ctx, ids) : open;
  await pause(5000, signal);
  const rssAfterKiB = treeRssKiB(worker.pid);
  log(
    `${running} of ${open} running, ${loaded} loaded in the worker; worker RSS ${mib(rssBeforeKiB)} → ${mib(rssAfterKiB)}`,
  );
  return { ids, open, running, loaded, rssBeforeKiB, rssAfterKiB, startRetries, startedAt, input };
}

function bounded<T>({ stack }: StepContext, call: () => Promise<T>): Promise<T> {
  return stack.client.connection.withDeadline(Date.now() + callDeadlineMs, call);
}

/** How many have scheduled their runner (describe: answered by the server, whatever the worker does). */
async function countLoaded(ctx: StepContext, ids: string[]): Promise<number> {
  const { stack, sizes, signal } = ctx;
  const flags = await pool(
    ids.length,
    sizes.concurrency,
    async (i) => {
      try {
        const description = await retrying(
          () => bounded(ctx, () => stack.client.workflow.getHandle(ids[i]!).describe()),
          { attempts: 3, signal },
        );
        return (description.raw.pendingActivities?.length ?? 0) > 0;
      } catch {
        signal.throwIfAborted();
        return false;
      }
    },
    signal,
  );
  return flags.filter(Boolean).length;
}

/** Terminating gives up after this long, so that it ends within the runner's bound on a cleanup (180 s). */
const terminateSeconds = 150;

/**
 * Terminates every process; runs as the fixture's cleanup, after the steps that used it. The
 * worker is killed first: its runners' heartbeats would otherwise compete with the terminations
 * for the server's writes (on a SQLite file, thousands of them took minutes), and the stack
 * starts a fresh worker before its next step. Calls still in flight when the time is up are
 * abandoned, never left retrying against a connection that the stack is about to close.
 */
async function terminateAll({ stack, sizes, log }: StepContext, ids: string[]): Promise<void> {
  log(`terminating the ${ids.length} open processes (the worker is stopped first)`);
  await stack.worker?.kill9();
  const giveUp = new AbortController();
  const timer = setTimeout(
    () => giveUp.abort(new Error('terminating took too long')),
    terminateSeconds * 1000,
  );
  let failed = 0;
  try {
    await stack.client.connection.withAbortSignal(giveUp.signal, () =>
      pool(
        ids.length,
        sizes.concurrency,
        (i) =>
          stack.client.connection
            .withDeadline(Date.now() + 10_000, () =>
              stack.client.workflow.getHandle(ids[i]!).terminate('benchmark done'),
            )
            .catch(() => void failed++),
        giveUp.signal,
      ),
    );
  } catch {
    log(`terminating: gave up after ${terminateSeconds} s`);
  } finally {
    clearTimeout(timer);
  }
  if (failed > 0) log(`${failed} terminations failed (or the processes had already ended)`);
}
