import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { FailureType } from '../contract/failure-types.js';
import type { ProcessError, Progress } from '../contract/resources.js';
import { attemptOfDetails } from '../shared/runner-outcome.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';

/** Map whatever ended the runner to the typed error a client sees. */
export function toProcessError(err: unknown): ProcessError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const retriesExhausted = err instanceof ActivityFailure && !cause.nonRetryable;
    return {
      type: cause.type ?? FailureType.RunnerFailed,
      title: retriesExhausted ? 'The runner failed on every attempt' : 'The runner failed',
      detail: cause.message,
    };
  }
  if (cause instanceof TimeoutFailure) {
    return {
      type: FailureType.RunnerTimedOut,
      title: 'The runner timed out',
      detail: cause.message || 'the last attempt exceeded its timeout',
    };
  }
  return {
    type: FailureType.RunnerFailed,
    title: 'The runner failed',
    detail: err instanceof Error ? err.message : String(err),
  };
}

/**
 * The attempt a runner failure or cancellation came from, and how far it got: named by the runner
 * itself, or, for a timeout after the last attempt, that attempt; `undefined` when the workflow
 * cannot know.
 */
export function attemptOfFailure(
  err: unknown,
  policy: RunnerPolicy,
): { attempt: number; progress?: Progress } | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const { cause } = err;
  if (cause instanceof ApplicationFailure || cause instanceof CancelledFailure) {
    const named = attemptOfDetails(cause.details ?? undefined);
    if (named) return { attempt: named.longrunAttempt, ...(named.progress && { progress: named.progress }) };
  }
  const last = policy.retry.maximumAttempts;
  if (cause instanceof TimeoutFailure && err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED && last) {
    return { attempt: last };
  }
  return undefined;
}
