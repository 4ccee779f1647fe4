import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../contract/failure-types.js';
import type { DelayInput, DelayResult } from '../kinds/delay.js';
import { ProgressReporter } from './progress.js';
import type { ReportingDeps } from './runner-deps.js';

export interface DelayCheckpoint {
  /** Steps completed so far. */
  step: number;
}

/** While a step sleeps, heartbeat this often so cancellation and a dead worker are noticed promptly. */
const heartbeatEveryMs = 1000;

/** The `delay` runner: busy for a while, in steps, resuming after the last step a retry finds done. */
export function createDelay(deps: ReportingDeps) {
  return async function delay(input: DelayInput): Promise<DelayResult> {
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
  };
}
