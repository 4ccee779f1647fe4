/**
 * longrun's own worker metrics (prom-client), served with Temporal's SDK metrics on the worker's
 * metrics port (see worker-http.ts): runner attempts by kind, their duration by kind and
 * outcome, runners running now, bytes processed by the runners over artifacts, and webhook
 * delivery attempts by outcome. Counted by an activity interceptor (runner-interceptor.ts) and,
 * for bytes, by the artifact job through {@link RunnerMetrics}.
 */
import { MetricsRegistry } from './metrics-registry.js';
import type { RunnerMetrics } from '../activities/runner-deps.js';

/** How one runner attempt ended. */
export type RunnerOutcome =
  /** It returned its result. */
  | 'succeeded'
  /** It failed and another attempt will follow. */
  | 'retrying'
  /** It failed for good (a non-retryable failure, or its last attempt). */
  | 'failed'
  /** Its process was canceled. */
  | 'canceled'
  /** Its worker shut down; the next attempt resumes from the checkpoint it recorded. */
  | 'interrupted'
  /** Temporal gave up on it (heartbeat or start-to-close timeout). */
  | 'timed_out';

/** How one webhook delivery attempt ended (see src/webhooks/delivery.ts). */
export type DeliveryOutcome =
  'delivered' | 'rejected' | 'unreachable' | 'gone' | 'refused' | 'canceled' | 'error';

export class WorkerMetrics extends MetricsRegistry implements RunnerMetrics {
  private readonly attempts = this.counter(
    'longrun_runner_attempts_total',
    'Runner attempts started, by kind; retry="true" for every attempt after the first.',
    ['kind', 'retry'],
  );
  private readonly durations = this.histogram(
    'longrun_runner_duration_seconds',
    'How long runner attempts ran, by kind and outcome (succeeded, retrying, failed, canceled, interrupted, timed_out).',
    ['kind', 'outcome'],
    [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
  );
  private readonly running = this.gauge(
    'longrun_runners_running',
    'Runner attempts running on this worker now, by kind.',
    ['kind'],
  );
  private readonly bytes = this.counter(
    'longrun_runner_processed_bytes_total',
    'Input bytes processed by the runners over artifacts (encrypt, decrypt), by kind.',
    ['kind'],
  );
  private readonly deliveries = this.counter(
    'longrun_webhook_deliveries_total',
    'Webhook delivery attempts, by outcome (delivered, rejected, unreachable, gone, refused, canceled, error).',
    ['outcome'],
  );
  private readonly deliveryDurations = this.histogram(
    'longrun_webhook_delivery_duration_seconds',
    'How long webhook delivery attempts took, by outcome.',
    ['outcome'],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
  );

  /** A runner attempt began; call the returned function with its outcome when it ends. */
  runnerStarted(kind: string, attempt: number): (outcome: RunnerOutcome) => number {
    this.attempts.inc({ kind, retry: attempt > 1 ? 'true' : 'false' });
    this.running.inc({ kind });
    const end = this.durations.startTimer({ kind });
    return (outcome) => {
      this.running.dec({ kind });
      return end({ outcome });
    };
  }

  /** A webhook delivery attempt began; call the returned function with its outcome when it ends. */
  deliveryStarted(): (outcome: DeliveryOutcome) => number {
    const end = this.deliveryDurations.startTimer();
    return (outcome) => {
      this.deliveries.inc({ outcome });
      return end({ outcome });
    };
  }

  bytesProcessed(kind: string, bytes: number): void {
    this.bytes.inc({ kind }, bytes);
  }
}
