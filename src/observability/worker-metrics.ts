/**
 * longrun's own worker metrics (prom-client), served with Temporal's SDK metrics on the worker's
 * metrics port (see worker-http.ts): runner attempts by kind, their duration by kind and
 * outcome, runners running now, bytes processed by the runners over artifacts, and webhook
 * delivery attempts by outcome. Counted by an activity interceptor (runner-interceptor.ts) and,
 * for bytes, by the artifact job through {@link RunnerMetrics}.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from './default-metrics.js';
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

export class WorkerMetrics implements RunnerMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'kind' | 'retry'>;
  private readonly durations: Histogram<'kind' | 'outcome'>;
  private readonly running: Gauge<'kind'>;
  private readonly bytes: Counter<'kind'>;
  private readonly deliveries: Counter<'outcome'>;
  private readonly deliveryDurations: Histogram<'outcome'>;

  constructor() {
    const registers = [this.registry];
    collectProcessMetrics(this.registry);
    this.attempts = new Counter({
      name: 'longrun_runner_attempts_total',
      help: 'Runner attempts started, by kind; retry="true" for every attempt after the first.',
      labelNames: ['kind', 'retry'],
      registers,
    });
    this.durations = new Histogram({
      name: 'longrun_runner_duration_seconds',
      help: 'How long runner attempts ran, by kind and outcome (succeeded, retrying, failed, canceled, interrupted, timed_out).',
      labelNames: ['kind', 'outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
      registers,
    });
    this.running = new Gauge({
      name: 'longrun_runners_running',
      help: 'Runner attempts running on this worker now, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.bytes = new Counter({
      name: 'longrun_runner_processed_bytes_total',
      help: 'Input bytes processed by the runners over artifacts (encrypt, decrypt), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'longrun_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered, rejected, unreachable, gone, refused, canceled, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.deliveryDurations = new Histogram({
      name: 'longrun_webhook_delivery_duration_seconds',
      help: 'How long webhook delivery attempts took, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    });
  }

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

  /** The metrics in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
