/**
 * The worker's one HTTP port (`WORKER_METRICS_PORT`), for Prometheus and for probes:
 * - `/metrics`: Temporal's SDK metrics and longrun's worker metrics in one scrape. The SDK's
 *   Prometheus exporter (in the native runtime) must own a port of its own, so it listens on a
 *   loopback port nobody else is told about, and each scrape here appends longrun's metrics
 *   (prom-client) to what it answers; operators see one target per worker.
 * - `/healthz`: alive (503 only once the worker has failed);
 * - `/readyz`: can serve, as the API's: Temporal, the namespace and its search attributes, the
 *   artifact store, and the worker polling (not starting, not shutting down).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Readiness } from './readiness.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface WorkerHttpOptions {
  port: number;
  host: string;
  metrics: WorkerMetrics;
  /** Where the SDK's Prometheus exporter answers (`http://127.0.0.1:port/metrics`), if it runs. */
  temporalMetricsUrl?: string | undefined;
  readiness: Readiness;
  /** False once the worker has failed for good. */
  alive: () => boolean;
  logger: Logger;
}

export interface WorkerHttp {
  port: number;
  close(): Promise<void>;
}

/** Prometheus's text format, the one both sources write. */
const prometheusText = 'text/plain; version=0.0.4; charset=utf-8';

export async function serveWorkerHttp(options: WorkerHttpOptions): Promise<WorkerHttp> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.logger.error({ err, path: req.url }, 'worker metrics port: unexpected error');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server),
  };
}

async function handle(options: WorkerHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://worker').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  switch (path) {
    case '/metrics': {
      const [temporal, own] = await Promise.all([temporalMetrics(options), options.metrics.text()]);
      res.writeHead(200, { 'Content-Type': prometheusText, 'Cache-Control': 'no-store' });
      res.end(`${temporal}${own}`);
      return;
    }
    case '/healthz':
      json(res, options.alive() ? 200 : 503, { status: options.alive() ? 'ok' : 'failed' });
      return;
    case '/readyz': {
      const report = await options.readiness.report();
      json(res, report.status === 'ready' ? 200 : 503, report);
      return;
    }
    default:
      json(res, 404, { status: 'not found', paths: ['/metrics', '/healthz', '/readyz'] });
  }
}

/** The SDK's metrics, ending with a newline; empty (and logged) when its exporter does not answer. */
async function temporalMetrics({ temporalMetricsUrl, logger }: WorkerHttpOptions): Promise<string> {
  if (!temporalMetricsUrl) return '';
  try {
    const answer = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!answer.ok) throw new Error(`answered ${answer.status}`);
    const text = await answer.text();
    return text === '' || text.endsWith('\n') ? text : `${text}\n`;
  } catch (err) {
    logger.warn({ err, url: temporalMetricsUrl }, "could not read the Temporal SDK's metrics");
    return '';
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
