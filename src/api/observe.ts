/**
 * What every request leaves behind for operators: a request id (`X-Request-Id`: the caller's when
 * it is sane, else a new UUID; echoed in the answer and in problem+json as `requestId`), a span
 * (continuing an incoming `traceparent`), the request metrics by route template, and one JSON log
 * line with the process it was about, when there is one.
 */
import { httpInstrumentationMiddleware } from '@hono/otel';
import { trace } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import type { Logger } from '../observability/logger.js';
import type { ApiMetrics } from '../observability/api-metrics.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The process a request was about, once a handler knows it (for the request's log line). */
    requestProcess: { id: string; kind: string } | undefined;
  }
}

/** Say which process this request is about (its log line names it). */
export function noteProcess(c: Context, state: { id: string; kind: string }): void {
  c.set('requestProcess', { id: state.id, kind: state.kind });
}

/** The route template that answered (e.g. `/processes/:id`), never a raw path: `unmatched` for 404s no route took. */
export function answeredRoute(c: Context): string {
  const path = routePath(c);
  return path === '/*' || path === '*' || path === '' ? 'unmatched' : path;
}

export interface ObserveOptions {
  logger?: Logger | undefined;
  metrics?: ApiMetrics | undefined;
  /** Whether spans are recorded (tracing is configured). */
  tracing?: boolean;
}

/** The middlewares, in order: request id, span, then metrics and the log line. */
export function observeRequests({ logger, metrics, tracing = false }: ObserveOptions): MiddlewareHandler[] {
  return [
    // Sane: at most 128 characters of letters, digits, `_`, `-` and `=` (anything else is replaced).
    requestId({ limitLength: 128 }),
    ...(tracing ? [httpInstrumentationMiddleware({ captureActiveRequests: false })] : []),
    async (c, next) => {
      const started = performance.now();
      const measured = metrics?.requestStarted(c.req.method);
      try {
        await next();
      } finally {
        const route = answeredRoute(c);
        const status = c.res.status;
        measured?.(route, status);
        if (logger) logRequest(logger, c, route, status, performance.now() - started);
      }
    },
  ];
}

function logRequest(logger: Logger, c: Context, route: string, status: number, ms: number): void {
  const about = c.get('requestProcess');
  const span = trace.getActiveSpan()?.spanContext();
  const fields = {
    requestId: c.get('requestId'),
    method: c.req.method,
    path: c.req.path,
    route,
    status,
    durationMs: Math.round(ms * 10) / 10,
    ...(about && { processId: about.id, kind: about.kind }),
    ...(span && span.traceFlags & 1 ? { traceId: span.traceId, spanId: span.spanId } : {}),
  };
  const message = `${c.req.method} ${c.req.path} ${status}`;
  if (status >= 500) logger.error(fields, message);
  else logger.info(fields, message);
}
