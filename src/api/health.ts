/**
 * The operator's endpoints, outside `/processes` and outside authentication: `/healthz` (the
 * process is alive), `/readyz` (it can serve: Temporal, the namespace and its search attributes,
 * the artifact store, and not draining) and `/metrics` (Prometheus).
 */
import { Hono } from 'hono';
import type { ApiMetrics } from '../observability/api-metrics.js';
import type { Readiness } from '../observability/readiness.js';

export interface HealthOptions {
  readiness: Readiness;
  metrics?: ApiMetrics | undefined;
}

export function healthRoutes({ readiness, metrics }: HealthOptions) {
  const app = new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' }))
    .get('/readyz', async (c) => {
      const report = await readiness.report();
      return c.json(report, report.status === 'ready' ? 200 : 503, { 'Cache-Control': 'no-store' });
    });
  if (metrics) {
    app.get('/metrics', async (c) =>
      c.body(await metrics.text(), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }),
    );
  }
  return app;
}
