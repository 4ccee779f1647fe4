/**
 * The API's metrics (prom-client), served on `/metrics`: HTTP requests by method, route template
 * and status (count and duration), processes started by kind, event streams and waits open now,
 * and how status reads were answered (the {@link GatewayMetrics} the gateway is given), plus
 * Node's process metrics.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from './default-metrics.js';
import type { GatewayMetrics, StatusReadSource } from '../gateway/metrics.js';

/** Methods counted as themselves; any other is counted as `OTHER` (labels stay few). */
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class ApiMetrics implements GatewayMetrics {
  readonly registry = new Registry();
  /** The Content-Type of {@link text}. */
  readonly contentType = this.registry.contentType;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly started: Counter<'kind'>;
  private readonly reads: Counter<'source'>;
  private readonly streams: Gauge;
  private readonly waits: Gauge;

  constructor() {
    const registers = [this.registry];
    collectProcessMetrics(this.registry);
    const labelNames = ['method', 'route', 'status'] as const;
    this.requests = new Counter({
      name: 'longrun_http_requests_total',
      help: 'HTTP requests answered, by method, route template (e.g. /processes/:id) and status.',
      labelNames,
      registers,
    });
    this.durations = new Histogram({
      name: 'longrun_http_request_duration_seconds',
      help: 'Time to answer HTTP requests (to the headers, for event streams), by method, route template and status.',
      labelNames,
      // Up to the longest `Prefer: wait` (60 s by default).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.started = new Counter({
      name: 'longrun_processes_started_total',
      help: 'Processes started, by kind (idempotent repeats of a start are not counted).',
      labelNames: ['kind'],
      registers,
    });
    this.reads = new Counter({
      name: 'longrun_status_reads_total',
      help: 'Process status reads, by what answered them: cache, describe, history, close-event, memo or wait.',
      labelNames: ['source'],
      registers,
    });
    this.streams = new Gauge({
      name: 'longrun_event_streams_open',
      help: 'Event streams (GET /processes/:id/events) open now.',
      registers,
    });
    this.waits = new Gauge({
      name: 'longrun_waits_open',
      help: 'Reads waiting now for a process to end (Prefer: wait).',
      registers,
    });
  }

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

  /** The metrics in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
