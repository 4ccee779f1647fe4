/**
 * The API's metrics (prom-client), served on `/metrics`: HTTP requests by method, route template
 * and status (count and duration), processes started by kind, event streams and waits open now,
 * and how status reads were answered (the {@link GatewayMetrics} the gateway is given), plus
 * Node's process metrics.
 */
import { MetricsRegistry } from './metrics-registry.js';
import type { GatewayMetrics, StatusReadSource } from '../gateway/metrics.js';

/** Methods counted as themselves; any other is counted as `OTHER` (labels stay few). */
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The labels of every HTTP request metric. */
const httpLabels = ['method', 'route', 'status'] as const;

export class ApiMetrics extends MetricsRegistry implements GatewayMetrics {
  /** The Content-Type of {@link text}. */
  readonly contentType = this.registry.contentType;
  private readonly requests = this.counter(
    'longrun_http_requests_total',
    'HTTP requests answered, by method, route template (e.g. /processes/:id) and status.',
    httpLabels,
  );
  private readonly durations = this.histogram(
    'longrun_http_request_duration_seconds',
    'Time to answer HTTP requests (to the headers, for event streams), by method, route template and status.',
    httpLabels,
    // Up to the longest `Prefer: wait` (60 s by default).
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  private readonly started = this.counter(
    'longrun_processes_started_total',
    'Processes started, by kind (idempotent repeats of a start are not counted).',
    ['kind'],
  );
  private readonly reads = this.counter(
    'longrun_status_reads_total',
    'Process status reads, by what answered them: cache, describe, history, close-event, memo or wait.',
    ['source'],
  );
  private readonly streams = this.gauge(
    'longrun_event_streams_open',
    'Event streams (GET /processes/:id/events) open now.',
  );
  private readonly waits = this.gauge(
    'longrun_waits_open',
    'Reads waiting now for a process to end (Prefer: wait).',
  );

  /** Start timing a request; call the returned function with its route template and status once answered. */
  requestStarted(method: string): (route: string, status: number) => void {
    const end = this.durations.startTimer();
    const label = knownMethods.has(method) ? method : 'OTHER';
    return (route, status) => {
      const labels = { method: label, route, status: String(status) };
      this.requests.inc(labels);
      end(labels);
    };
  }

  processStarted(kind: string): void {
    this.started.inc({ kind });
  }

  statusRead(source: StatusReadSource): void {
    this.reads.inc({ source });
  }

  streamOpened(): () => void {
    this.streams.inc();
    return () => this.streams.dec();
  }

  waitStarted(): () => void {
    this.waits.inc();
    return () => this.waits.dec();
  }
}
