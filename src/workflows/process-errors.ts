import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { ProcessError } from '../contract/resources.js';

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
