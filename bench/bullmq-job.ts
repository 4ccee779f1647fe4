/**
 * The BullMQ side of the efficiency figure (P6), run as its own process by bench/run.ts so that
 * its CPU time can be read from /proc: a producer and a worker for the same tiny job longrun runs
 * (report "started", sleep ~0, report progress, return a result), with the same retry budget.
 *
 * Protocol: prints `ready` once connected, starts on SIGUSR2, prints `done {json}` when every
 * job has completed, then waits to be stopped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';

const port = Number(process.env.REDIS_PORT);
const jobs = Number(process.env.BENCH_JOBS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
// The Temporal worker's default: 100 runners at a time.
const workerConcurrency = Number(process.env.BULLMQ_WORKER_CONCURRENCY ?? 100);

const connection = { host: '127.0.0.1', port };
const queue = new Queue('bench', { connection });
let completed = 0;
let failed = 0;
let allDone: () => void = () => {};
const done = new Promise<void>((resolve) => (allDone = resolve));

const worker = new Worker(
  'bench',
  async (job) => {
    await job.updateProgress({ percent: 0, message: 'started' });
    await sleep(1);
    await job.updateProgress({ percent: 100, message: 'step 1/1' });
    return { seconds: 0.001, steps: 1, resumedAfterStep: 0, attempt: job.attemptsMade + 1 };
  },
  { connection: { ...connection, maxRetriesPerRequest: null }, concurrency: workerConcurrency },
);
worker.on('completed', () => {
  if (++completed === jobs) allDone();
});
worker.on('failed', () => failed++);

async function run(): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < jobs) {
      next++;
      // The delay kind's retry policy: 5 attempts, exponential from 1 s. Jobs are kept once done,
      // as Temporal keeps each workflow's history.
      await queue.add(
        'delay',
        { seconds: 0.001, steps: 1 },
        { attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
      );
    }
  });
  await Promise.all(lanes);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  console.log(`done ${JSON.stringify({ jobs, completed, failed, seconds })}`);
}

async function main(): Promise<void> {
  await queue.waitUntilReady();
  await worker.waitUntilReady();
  process.once('SIGUSR2', () => {
    run().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  process.once('SIGTERM', () => {
    void Promise.allSettled([worker.close(), queue.close()]).then(() => process.exit(0));
  });
  console.log('ready');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
