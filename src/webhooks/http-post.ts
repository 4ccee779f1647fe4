import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { guardedLookup, type CallbackPolicy } from './callback-policy.js';

const tracer = trace.getTracer('longrun-webhooks');

/** What a receiver answered: only what delivery decides on. */
export interface HttpAnswer {
  status: number;
  retryAfter: string | undefined;
}

/**
 * POST one signed event to its receiver. The connection goes only to addresses the callback
 * policy allows (checked at DNS lookup, so a rebinding host cannot sneak past the check at start).
 * With tracing on, the attempt is a client span of the delivery activity's trace, and the request
 * carries its `traceparent`.
 */
export function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { policy: CallbackPolicy; timeoutMs?: number | undefined },
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const attributes = {
    'http.request.method': 'POST',
    // Without the query: it may carry a receiver's secret.
    'url.full': `${url.origin}${url.pathname}`,
    'server.address': url.hostname,
  };
  return tracer.startActiveSpan('POST', { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const traced = { ...headers };
      propagation.inject(context.active(), traced);
      const answer = await send(url, body, traced, options, signal);
      span.setAttribute('http.response.status_code', answer.status);
      if (answer.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      return answer;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The request itself, below the span. */
function send(...[url, body, headers, options, signal]: Parameters<typeof postWebhook>): Promise<HttpAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        lookup: guardedLookup(options.policy),
        timeout: options.timeoutMs ?? 14_000,
        signal,
      },
      (res) => {
        res.resume(); // the body does not matter; drain it so the socket is freed
        res.on('end', () => {
          const retryAfter: string | string[] | undefined = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : retryAfter?.[0],
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
