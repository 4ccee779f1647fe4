import type { Progress } from '../contract/resources.js';

/**
 * How a runner attempt tells its workflow which attempt it was, when the workflow asks for it by
 * scheduling the runner under {@link runnerActivityId} (orchestrators from the heartbeat-progress
 * version on): a result comes wrapped in a {@link RunnerOutcome}; a failure or a cancellation the
 * runner raised carries {@link AttemptDetails} as its first detail. Runners scheduled by older
 * workflows (another activity id) answer as before, so both versions can run side by side.
 */

/** The activity id under which a workflow asks its runner for the outcome envelope. */
export const runnerActivityId = 'runner';

export interface AttemptDetails {
  longrunAttempt: number;
  /** How far the attempt got (failures and cancellations). */
  progress?: Progress;
}

export interface RunnerOutcome<Result = unknown> extends AttemptDetails {
  result: Result;
}

export function isRunnerOutcome(value: unknown): value is RunnerOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<RunnerOutcome>).longrunAttempt === 'number' &&
    'result' in value
  );
}

/** The attempt (and progress) named by a failure's details, if the runner put them there. */
export function attemptOfDetails(details: readonly unknown[] | undefined): AttemptDetails | undefined {
  const first = details?.[0] as Partial<AttemptDetails> | undefined;
  return typeof first?.longrunAttempt === 'number' ? (first as AttemptDetails) : undefined;
}
