/**
 * Runs the measures' steps, stack by stack: every step on the in-memory dev server first (in
 * registry order), then every step on the durable one, then those on the cluster, then those on
 * no stack. A step runs
 * guarded: its errors become its outcome, a time limit aborts it, its cleanups always run, and
 * before each step the stack's worker and API are brought back if they died (the whole stack if
 * the server did). Nothing a step does can end the run.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from './log.js';
import { Skip, type AnyMeasure, type Fixture, type Outcome, type Step, type StepContext } from './measure.js';
import { skipCluster, timeScale, type Sizes } from './sizes.js';
import { Stack, type StackKind } from './stack.js';
import { reasonOf } from './waits.js';

export type MeasureOutcomes = Record<string, Record<string, Outcome<unknown>>>;

interface Planned {
  measure: AnyMeasure;
  key: string;
  step: Step<unknown>;
}

interface OpenFixture {
  value: Promise<unknown>;
  cleanups: (() => unknown)[];
}

const phases: (StackKind | 'none')[] = ['memory', 'durable', 'cluster', 'none'];
/** How long an aborted step gets to notice before its cleanups run regardless. */
const abortGraceMs = 30_000;
const cleanupLimitMs = 180_000;

/** Runs every step of `measures`, writing each one's outcome into `outcomes` as soon as it has one. */
export async function runMeasures(
  measures: AnyMeasure[],
  outcomes: MeasureOutcomes,
  options: { dir: string; sizes: Sizes; onStack?: (stack: Stack) => Promise<void> },
): Promise<void> {
  for (const m of measures) outcomes[m.id] = {};
  for (const phase of phases) {
    const planned = measures.flatMap((measure) =>
      Object.entries(measure.steps)
        .filter(([, step]) => step.on === phase)
        .map(([key, step]) => ({ measure, key, step })),
    );
    if (planned.length === 0) continue;
    if (phase === 'cluster' && skipCluster) {
      for (const { measure, key } of planned)
        outcomes[measure.id]![key] = { status: 'skipped', reason: 'BENCH_SKIP_CLUSTER=1' };
      continue;
    }
    const t0 = performance.now();
    await runPhase(phase, planned, outcomes, options);
    log(`the ${phase} phase took ${Math.round((performance.now() - t0) / 1000)} s`);
  }
}

async function runPhase(
  phase: StackKind | 'none',
  planned: Planned[],
  outcomes: MeasureOutcomes,
  options: { dir: string; sizes: Sizes; onStack?: (stack: Stack) => Promise<void> },
): Promise<void> {
  let stack: Stack | undefined;
  let broken: string | undefined;
  let starts = 0;
  const fixtures = new Map<string, OpenFixture>();
  const closeFixtures = async (keep: (name: string) => boolean) => {
    for (const [name, fixture] of [...fixtures]) {
      if (keep(name)) continue;
      fixtures.delete(name);
      log(`closing ${name}`);
      await runCleanups(fixture.cleanups);
    }
  };
  /** The phase's stack, up and healthy, or the reason it cannot be. */
  const bringUp = async (): Promise<string | undefined> => {
    if (phase === 'none' || broken) return broken;
    if (stack) {
      try {
        await stack.ensureUp();
        return undefined;
      } catch (err) {
        log(`the ${phase} stack is broken (${reasonOf(err)}): starting a new one`);
        await closeFixtures(() => false);
        await stack.stop();
        stack = undefined;
      }
    }
    if (starts++ >= 2) return (broken = `the ${phase} stack broke twice; no third try`);
    try {
      log(`starting the ${phase} stack`);
      // A folder per start: a restarted durable server (or cluster) does not reopen what the last one left.
      const dir = join(options.dir, `${phase}-stack-${starts}`);
      mkdirSync(dir, { recursive: true });
      stack = await Stack.start(phase, dir);
      log(`Temporal ${stack.server.label} (${phase}) on ${stack.server.address}`);
      await options.onStack?.(stack);
      return undefined;
    } catch (err) {
      broken = `the ${phase} stack did not start: ${reasonOf(err)}`;
      log(broken);
      return broken;
    }
  };

  try {
    for (const [index, { measure, key, step }] of planned.entries()) {
      const name = `${measure.id} ${step.label}`;
      const notUp = await bringUp();
      let outcome: Outcome<unknown>;
      if (notUp) {
        outcome = { status: 'failed', reason: notUp, seconds: 0 };
      } else {
        log(`${name}: start`);
        const dir = join(options.dir, `${measure.id}-${key}`);
        mkdirSync(dir, { recursive: true });
        outcome = await guarded(step, { name, dir, sizes: options.sizes, stack, fixtures });
      }
      outcomes[measure.id]![key] = outcome;
      log(
        `${name}: ${outcome.status === 'ok' ? JSON.stringify(outcome.value) : `${outcome.status}: ${outcome.reason}`}`,
      );
      const later = planned.slice(index + 1);
      await closeFixtures((fixture) => later.some((p) => p.step.uses?.some((f) => f.name === fixture)));
    }
  } finally {
    await closeFixtures(() => false);
    await stack?.stop();
  }
}

async function guarded(
  step: Step<unknown>,
  scope: {
    name: string;
    dir: string;
    sizes: Sizes;
    stack: Stack | undefined;
    fixtures: Map<string, OpenFixture>;
  },
): Promise<Outcome<unknown>> {
  const limitSeconds = Math.round(step.timeLimitSeconds(scope.sizes) * timeScale);
  const controller = new AbortController();
  // Every call in flight listens to it (the stack's client adds one listener per call).
  setMaxListeners(0, controller.signal);
  const cleanups: (() => unknown)[] = [];
  const context = (defer: (cleanup: () => unknown) => void): StepContext => ({
    get stack() {
      if (!scope.stack) throw new Error(`${scope.name} runs on no stack`);
      return scope.stack;
    },
    dir: scope.dir,
    sizes: scope.sizes,
    signal: controller.signal,
    log: (message) => log(`${scope.name}: ${message}`),
    defer,
    use: <T>(fixture: Fixture<T>) => use(fixture, scope.fixtures, context) as Promise<T>,
  });
  const ctx = context((cleanup) => cleanups.push(cleanup));
  const t0 = performance.now();
  const elapsed = () => Math.round((performance.now() - t0) / 100) / 10;
  // Every Temporal call the step makes through the stack's client ends when the step is aborted.
  const run = scope.stack
    ? scope.stack.client.connection.withAbortSignal(controller.signal, () => step.run(ctx))
    : step.run(ctx);
  run.catch(() => undefined); // settled below, or abandoned after the grace period
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new Error(`time limit of ${limitSeconds} s reached`);
      controller.abort(reason);
      reject(reason);
    }, limitSeconds * 1000);
  });
  try {
    return { status: 'ok', value: await Promise.race([run, limit]), seconds: elapsed() };
  } catch (err) {
    if (err instanceof Skip) return { status: 'skipped', reason: err.message };
    if (!controller.signal.aborted) console.error(`[bench] ${scope.name} failed:`, err);
    return { status: 'failed', reason: reasonOf(err), seconds: elapsed() };
  } finally {
    clearTimeout(timer);
    if (controller.signal.aborted) {
      const settled = await Promise.race([
        run.then(
          () => true,
          () => true,
        ),
        sleep(abortGraceMs, false),
      ]);
      if (!settled)
        log(`${scope.name}: still busy ${abortGraceMs / 1000} s after its abort; cleaning up anyway`);
    }
    controller.abort(new Error('step over')); // stops whatever of it is still waiting
    await runCleanups(cleanups);
  }
}

function use(
  fixture: Fixture<unknown>,
  fixtures: Map<string, OpenFixture>,
  context: (defer: (cleanup: () => unknown) => void) => StepContext,
): Promise<unknown> {
  let open = fixtures.get(fixture.name);
  if (!open) {
    const cleanups: (() => unknown)[] = [];
    const value = fixture.open(context((cleanup) => cleanups.push(cleanup))).catch((err: unknown) => {
      throw new Error(`${fixture.name}: ${reasonOf(err)}`);
    });
    value.catch(() => undefined); // a failure is remembered, and met by every step that uses it
    open = { value, cleanups };
    fixtures.set(fixture.name, open);
  }
  return open.value;
}

/** Cleanups in reverse order, each given its chance even when one fails; bounded in all. */
async function runCleanups(cleanups: (() => unknown)[]): Promise<void> {
  const deadline = Date.now() + cleanupLimitMs;
  for (const cleanup of cleanups.reverse()) {
    const left = deadline - Date.now();
    const done = Promise.resolve()
      .then(cleanup)
      .then(
        () => true,
        (err: unknown) => {
          log(`cleanup failed: ${reasonOf(err)}`);
          return true;
        },
      );
    if (!(await Promise.race([done, sleep(Math.max(1000, left), false)]))) log('a cleanup timed out');
  }
}
