/**
 * What the BullMQ build answers: a job as a process resource, the shape longrun's `GET
 * /processes/{id}` has (status, progress, attempt, times, result or error), from the job's hash
 * and its state.
 */
import type { Job, JobState } from 'bullmq';

/** The input of the `delay` kind, as the build accepts it. */
export interface DelayInput {
  seconds: number;
  steps: number;
}

/** What the worker stores as the job's progress: the report, the checkpoint, and when. */
export interface DelayProgress {
  percent: number;
  message: string;
  /** Steps completed: where a retry resumes. */
  step: number;
  at: string;
}

const statusOf: Record<JobState | 'unknown', string> = {
  waiting: 'queued',
  'waiting-children': 'queued',
  prioritized: 'queued',
  // A failed attempt backing off before its retry.
  delayed: 'queued',
  active: 'running',
  completed: 'succeeded',
  failed: 'failed',
  unknown: 'unknown',
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function jobResource(job: Job<DelayInput>, state: JobState | 'unknown', self: string) {
  const progress = typeof job.progress === 'object' ? (job.progress as Partial<DelayProgress>) : {};
  const status = statusOf[state];
  const ended = status === 'succeeded' || status === 'failed';
  return {
    id: job.id,
    kind: 'delay',
    status,
    progress: {
      percent: progress.percent ?? 0,
      message: progress.message ?? (status === 'running' ? 'started' : status),
    },
    attempt: job.attemptsStarted,
    createdAt: iso(job.timestamp),
    updatedAt: progress.at ?? iso(job.finishedOn ?? job.processedOn ?? job.timestamp),
    ...(ended && { completedAt: iso(job.finishedOn) }),
    ...(status === 'succeeded' && { result: job.returnvalue as unknown }),
    ...(status === 'failed' && {
      error: { type: 'runner-failed', title: 'The job failed', detail: job.failedReason },
    }),
    links: { self },
  };
}

/** Whether a start request's body is `{ kind: 'delay', input: { seconds, steps } }`. */
export function isDelayStart(body: unknown): body is { kind: 'delay'; input: DelayInput } {
  if (typeof body !== 'object' || body === null) return false;
  const { kind, input } = body as { kind?: unknown; input?: Partial<DelayInput> };
  return (
    kind === 'delay' &&
    typeof input === 'object' &&
    input !== null &&
    typeof input.seconds === 'number' &&
    input.seconds > 0 &&
    Number.isInteger(input.steps) &&
    input.steps! >= 1
  );
}
