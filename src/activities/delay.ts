import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../contract/failure-types.js';
import type { DelayInput, DelayResult } from '../kinds/delay.js';
import { ProgressReporter } from './progress/reporter.js';
import type { ReportingDeps } from './runner-deps.js';

export interface DelayCheckpoint {
  /** Steps completed so far. */
  step: number;
}

/**
 * The `delay` runner: busy for a while, in steps, resuming after the last step a retry finds
 * done. It sleeps through each step: the reporter's keep-alive heartbeats carry it (and bring a
 * cancellation, which makes the sleep reject at once).
 */
export function createDelay(deps: ReportingDeps) {
  return async function delay(input: DelayInput): Promise<DelayResult> {
    const { seconds, steps, failAttempts, fail } = input;
    const reporter = ProgressReporter.start<DelayCheckpoint>(deps, ({ step }) => `step ${step}/${steps}`);
    try {
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
        await ctx.sleep(stepMs);
        reporter.report({ percent: (step / steps) * 100, message: `step ${step}/${steps}` }, { step });
      }
      return { seconds, steps, resumedAfterStep, attempt };
    } finally {
      reporter.close();
    }
  };
}
