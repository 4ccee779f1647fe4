/**
 * The BullMQ build of longrun's contract (bench/bullmq-app/) as a fixture of the steps on no
 * stack: Redis with AOF and `appendfsync always`, the app (Hono + a BullMQ queue) and the worker,
 * each its own process. Used in the order S4, S2, S1 run, and right whichever runs alone:
 *  - `populate` sends the `POST`s that add `scaleOpen` jobs while no worker runs (S4's rate:
 *    starts only, as S4's longrun side starts to a queue no worker polls), once;
 *  - `activate` then starts the worker, with a slot for every job, and waits until they all run.
 */
import { Queue } from 'bullmq';
import { freePort, type ManagedProcess } from '../../scripts/launcher.js';
import { packageVersion } from './debian.js';
import { httpPostLoad, type Burst } from './http-load.js';
import { defineFixture, Skip, type StepContext } from './measure.js';
import { startRedis, type Redis } from './redis.js';
import { launchScript, printed } from './scripts.js';
import { skipBullmq } from './sizes.js';
import { pause, waitFor } from './waits.js';

/** What S1's and S2's BullMQ jobs run: 10 minutes in 1-minute steps, as longrun's processes there. */
export const scaleJobInput = { seconds: 600, steps: 10 };
const queueName = 'delay';

export interface Populated extends Burst {
  tool: string;
  concurrency: number;
}

export interface Active {
  /** The ids of the active jobs, for reads. */
  ids: string[];
  worker: ManagedProcess;
  /** Jobs waiting beyond the worker's slots (a count-stopped burst may add a few). */
  waiting: number;
}

export interface BullmqBuild {
  redis: Redis;
  app: ManagedProcess;
  url: string;
  bullmq: string;
  populate(ctx: StepContext): Promise<Populated>;
  activate(ctx: StepContext): Promise<Active>;
}

/** Throws the Skip that a row shows when the BullMQ side is switched off. */
export function checkBullmq(): void {
  if (skipBullmq) throw new Skip('BENCH_SKIP_BULLMQ=1');
}

export const bullmqBuild = defineFixture<BullmqBuild>({
  name: 'BullMQ build',
  async open(ctx) {
    checkBullmq();
    const { defer, signal, sizes } = ctx;
    const redis = await startRedis(ctx, 'durable');
    const port = await freePort();
    const env = { REDIS_PORT: String(redis.port), QUEUE: queueName };
    const app = launchScript('bullmq app', 'bench/bullmq-app/app.ts', { ...env, PORT: String(port) });
    defer(() => app.stop());
    await printed(app, /^listening on/m, { what: 'BullMQ app listening', timeoutMs: 60_000, signal });
    // The bench's own view of the queue: counts and ids.
    const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port } });
    defer(() => queue.close());
    const url = `http://127.0.0.1:${port}`;
    const body = JSON.stringify({ kind: 'delay', input: scaleJobInput });

    let populated: Promise<Populated> | undefined;
    let active: Promise<Active> | undefined;
    const populate = (step: StepContext) =>
      (populated ??= (async () => {
        const load = httpPostLoad(`${url}/processes`, body, sizes.scaleConcurrency, step.dir);
        // Warm-up (the app's JIT, Redis's connections), then those jobs are removed: none has run.
        await load.burst(Math.max(50, Math.round(sizes.burst / 10)), step.signal);
        await pause(1000, step.signal); // the POSTs still in flight when wrk stopped land first
        await queue.drain();
        const burst = await load.burst(sizes.scaleOpen, step.signal);
        step.log(`${burst.ok} jobs added in ${burst.seconds.toFixed(2)} s (${burst.failures} failures)`);
        if (burst.ok < sizes.scaleOpen)
          throw new Error(`only ${burst.ok} of ${sizes.scaleOpen} POSTs answered`);
        return { ...burst, tool: load.tool, concurrency: sizes.scaleConcurrency };
      })());
    const activate = (step: StepContext) =>
      (active ??= (async () => {
        await populate(step);
        const worker = launchScript('bullmq worker', 'bench/bullmq-app/worker.ts', {
          ...env,
          WORKER_CONCURRENCY: String(sizes.scaleOpen),
        });
        defer(() => worker.stop());
        await waitFor(
          () => queue.getActiveCount(),
          (n) => n >= sizes.scaleOpen || !worker.alive(),
          { timeoutMs: 300_000, intervalMs: 500, what: 'BullMQ jobs active', signal: step.signal },
        );
        if (!worker.alive()) throw new Error(`the BullMQ worker exited:\n${worker.output().slice(-2000)}`);
        await pause(3000, step.signal);
        const ids = (await queue.getActive(0, -1)).map((job) => job.id!);
        const waiting = await queue.getWaitingCount();
        step.log(`${ids.length} jobs active, ${waiting} waiting`);
        return { ids, worker, waiting };
      })());
    return { redis, app, url, bullmq: packageVersion('bullmq'), populate, activate };
  },
});
