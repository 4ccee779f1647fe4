import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../shared/failures.js';
import { ProgressReporter } from './progress.js';
import { defineRunnerKind } from './runner-kind.js';

/** Input of the `delay` kind: be busy for a while, in steps (the original design's runner). */
export const delayInput = z
  .object({
    seconds: z.number().gt(0).lte(3600).describe('How long to be busy, in seconds (fractions allowed).'),
    steps: z.number().int().min(1).max(1000).default(10).describe('How many steps to report progress in.'),
    failAttempts: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(0)
      .describe('The first N attempts fail with a retryable error.'),
    fail: z.boolean().default(false).describe('Fail with a non-retryable error.'),
  })
  .strict()
  .meta({ id: 'DelayInput' });

export type DelayInput = z.output<typeof delayInput>;

export interface DelayCheckpoint {
  /** Steps completed so far. */
  step: number;
}

export interface DelayResult {
  seconds: number;
  steps: number;
  /** Steps this attempt skipped because an earlier attempt had completed them. */
  resumedAfterStep: number;
  attempt: number;
}

/** While a step sleeps, heartbeat this often so cancellation and a dead worker are noticed promptly. */
const heartbeatEveryMs = 1000;

export const delayKind = defineRunnerKind({
  input: delayInput,
  policy: {
    // The longest delay is an hour; leave room for a slow worker.
    startToCloseTimeout: '75m',
    heartbeatTimeout: '5s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [FailureType.RequestedFailure, FailureType.InvalidRunnerInput],
    },
  },
  summarize: ({ seconds, steps }) => `${seconds}s in ${steps} steps`,
  create: (deps) =>
    async function delay(input: DelayInput): Promise<DelayResult> {
      const { seconds, steps, failAttempts, fail } = input;
      const reporter = await ProgressReporter.start<DelayCheckpoint>(
        deps.progress,
        { minIntervalMs: deps.progressIntervalMs },
        ({ step }) => `step ${step}/${steps}`,
      );
      const { attempt } = reporter;
      if (fail)
        throw ApplicationFailure.nonRetryable(
          'failing as requested (fail: true)',
          FailureType.RequestedFailure,
        );
      if (attempt <= failAttempts) {
        throw ApplicationFailure.retryable(
          `attempt ${attempt} failing as requested (failAttempts: ${failAttempts})`,
          FailureType.TransientFailure,
        );
      }

      const resumedAfterStep = Math.min(reporter.resumeFrom?.step ?? 0, steps);
      const stepMs = (seconds * 1000) / steps;
      const ctx = Context.current();
      for (let step = resumedAfterStep + 1; step <= steps; step++) {
        // Sleep in slices, heartbeating between them; ctx.sleep rejects as soon as cancellation arrives.
        for (let left = stepMs; left > 0; left -= heartbeatEveryMs) {
          await ctx.sleep(Math.min(left, heartbeatEveryMs));
          reporter.heartbeat();
        }
        reporter.report({ percent: (step / steps) * 100, message: `step ${step}/${steps}` }, { step });
      }
      await reporter.flush();
      return { seconds, steps, resumedAfterStep, attempt };
    },
});
