import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemType } from '../contract/problem-types.js';
import { ProblemError } from './problem.js';

export interface BodyLimitOptions {
  maxBytes: number;
  /** Throws (or answers) when the body is past the limit. */
  onTooLarge: (c: Context) => Response | Promise<Response>;
}

/**
 * Hono's `bodyLimit`, deciding from the headers alone when it can.
 *
 * With a `Content-Length` and no `Transfer-Encoding`, Node's HTTP parser already holds the body to
 * that length, so the header settles it. Hono's middleware reads `c.req.raw.body` before it looks
 * at the header, which makes @hono/node-server build a web `Request` and `ReadableStream` for every
 * request instead of reading the body straight from the socket. Measured on the HTTP layer alone
 * (fake gateway), `POST /processes` went from 0.24–0.35 ms to 0.12 ms of CPU. Bodies without a
 * length (chunked) still go through Hono's counting reader.
 */
export function limitBody({ maxBytes, onTooLarge }: BodyLimitOptions): MiddlewareHandler {
  const counting = bodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    if (Number(declared) > maxBytes) return onTooLarge(c);
    await next();
  };
}

/** {@link limitBody} for a request body (JSON): past `maxBytes`, a 413 problem. */
export function limitRequestBody(maxBytes: number): MiddlewareHandler {
  return limitBody({
    maxBytes,
    onTooLarge: () => {
      throw new ProblemError({
        type: ProblemType.PayloadTooLarge,
        title: 'Request body too large',
        status: 413,
        detail: `The body exceeds ${maxBytes} bytes.`,
      });
    },
  });
}
