import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { FailureType } from '../contract/failure-types.js';
import { runnerActivityId, type RunnerOutcome } from '../shared/runner-outcome.js';
import { reportedProgress } from './progress/reporter.js';

/**
 * Wrap a runner so that, when its workflow asks (it schedules the runner under
 * {@link runnerActivityId}), its outcome names the attempt: the workflow never needs a signal to
 * learn which attempt succeeded, failed or stopped. Failures keep their type, retryability and
 * backoff; only their details gain the attempt (and the progress the attempt had reported).
 */
export function withAttemptOutcome<Input, Result>(
  run: (input: Input) => Promise<Result>,
): (input: Input) => Promise<Result | RunnerOutcome<Result>> {
  return async (input) => {
    const { attempt, activityId } = Context.current().info;
    if (activityId !== runnerActivityId) return run(input);
    try {
      return { longrunAttempt: attempt, result: await run(input) };
    } catch (err) {
      throw withAttempt(err, attempt);
    }
  };
}

function withAttempt(err: unknown, attempt: number): unknown {
  // How far the attempt got: a canceled or failed process still shows it.
  const progress = reportedProgress();
  const details = [{ longrunAttempt: attempt, ...(progress && { progress }) }];
  if (err instanceof CancelledFailure && Context.current().cancellationDetails?.workerShutdown) {
    // Stopped by its worker's shutdown, not by its process: an ordinary retryable failure, so the
    // SDK sends the last heartbeat (the checkpoint) before the failure, and the retry resumes there.
    return ApplicationFailure.create({
      message: 'the worker shut down; the next attempt resumes from the last checkpoint',
      type: FailureType.WorkerShutdown,
      details,
      cause: err,
    });
  }
  if (err instanceof CancelledFailure) return new CancelledFailure(err.message, details, err.cause);
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
      details: [...details, ...(err.details ?? [])],
      nextRetryDelay: err.nextRetryDelay ?? undefined,
      cause: err.cause,
      category: err.category ?? undefined,
    });
  }
  if (err instanceof Error)
    return ApplicationFailure.create({ message: err.message, type: err.name, details, cause: err });
  return err;
}
