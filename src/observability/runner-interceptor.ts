/**
 * An activity interceptor that measures every runner attempt and webhook delivery attempt for
 * the worker's metrics, and logs how each runner attempt ended (with its duration), through the
 * activity's own logger (so the line carries the process id, kind and attempt).
 */
import { ApplicationFailure, CancelledFailure, type Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { FailureType } from '../contract/failure-types.js';
import type { DeliveryOutcome, RunnerOutcome, WorkerMetrics } from './worker-metrics.js';

/** The activity type of webhook delivery (src/webhooks/delivery.ts). */
const deliveryActivity = 'deliverWebhook';

/** Interceptors for a worker whose runners are the activity types in `runnerKinds`. */
export function runnerMetricsInterceptor(
  metrics: WorkerMetrics,
  runnerKinds: readonly string[],
): ActivityInterceptorsFactory {
  const runners = new Set(runnerKinds);
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, attempt } = ctx.info;
        if (activityType === deliveryActivity) {
          const ended = metrics.deliveryStarted();
          try {
            const result = await next(input);
            ended('delivered');
            return result;
          } catch (err) {
            ended(deliveryOutcome(ctx, err));
            throw err;
          }
        }
        if (!runners.has(activityType)) return next(input);
        const ended = metrics.runnerStarted(activityType, attempt);
        try {
          const result = await next(input);
          const seconds = ended('succeeded');
          ctx.log.info('runner attempt ended', {
            outcome: 'succeeded',
            durationMs: Math.round(seconds * 1000),
          });
          return result;
        } catch (err) {
          const outcome = runnerOutcome(ctx, err);
          const seconds = ended(outcome);
          ctx.log.info('runner attempt ended', {
            outcome,
            durationMs: Math.round(seconds * 1000),
            error: err instanceof Error ? err.message : String(err),
          });
          throw err;
        }
      },
    },
  });
}

function runnerOutcome(ctx: Context, err: unknown): RunnerOutcome {
  if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) {
    const details = ctx.cancellationDetails;
    if (details?.workerShutdown) return 'interrupted';
    if (details?.timedOut) return 'timed_out';
    return 'canceled';
  }
  if (err instanceof ApplicationFailure && err.nonRetryable) return 'failed';
  const maximumAttempts = ctx.info.retryPolicy?.maximumAttempts ?? 0;
  return maximumAttempts > 0 && ctx.info.attempt >= maximumAttempts ? 'failed' : 'retrying';
}

function deliveryOutcome(ctx: Context, err: unknown): DeliveryOutcome {
  if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) return 'canceled';
  if (!(err instanceof ApplicationFailure)) return 'error';
  switch (err.type) {
    case FailureType.WebhookRejected:
      return 'rejected';
    case FailureType.WebhookUnreachable:
      return 'unreachable';
    case FailureType.WebhookGone:
      return 'gone';
    case FailureType.CallbackRefused:
      return 'refused';
    default:
      return 'error';
  }
}
