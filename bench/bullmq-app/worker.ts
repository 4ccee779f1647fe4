/**
 * The BullMQ build's worker: runs `delay` jobs as longrun's runner does — sleeps the delay in
 * steps, reports each step with `job.updateProgress` (the step is the checkpoint a retry resumes
 * from) — with a slot for every job (WORKER_CONCURRENCY). Its own process, as longrun's worker is.
 *
 * Environment: REDIS_PORT, QUEUE, WORKER_CONCURRENCY. Prints `ready` once connected.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import type { DelayInput, DelayProgress } from './resource.js';

const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT), maxRetriesPerRequest: null };

const worker = new Worker<DelayInput>(
  process.env.QUEUE ?? 'delay',
  async (job) => {
    const { seconds, steps } = job.data;
    const previous = typeof job.progress === 'object' ? (job.progress as Partial<DelayProgress>) : {};
    const resumedAfterStep = Math.min(previous.step ?? 0, steps);
    const stepMs = (seconds * 1000) / steps;
    for (let step = resumedAfterStep + 1; step <= steps; step++) {
      await sleep(stepMs);
      const progress: DelayProgress = {
        percent: (step / steps) * 100,
        message: `step ${step}/${steps}`,
        step,
        at: new Date().toISOString(),
      };
      await job.updateProgress(progress);
    }
    return { seconds, steps, resumedAfterStep, attempt: job.attemptsStarted };
  },
  { connection, concurrency: Number(process.env.WORKER_CONCURRENCY ?? 100) },
);

await worker.waitUntilReady();
console.log('ready');
process.once('SIGTERM', () => {
  // Running jobs are abandoned, as a redeploy would; the bench stops Redis next.
  void worker.close(true).then(() => process.exit(0));
});
