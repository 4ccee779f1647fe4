import { HTTPException } from 'hono/http-exception';
import type { ErrorHandler } from 'hono';
import { ProblemError, renderProblem, type Problem } from './problem.js';
import { ProblemType } from '../contract/problem-types.js';
import { grpcCode, grpcCodeOf } from '../gateway/grpc-codes.js';

/**
 * The app's one `onError`: every error becomes problem+json. Our own {@link ProblemError}s as
 * they are; Hono's body parsing refusals as 400/415; Temporal unreachable as 503 with
 * `Retry-After`; anything else as a logged 500.
 */
export function problemErrorHandler(logError: (err: unknown) => void): ErrorHandler {
  return (err, c) => {
    if (err instanceof ProblemError) return renderProblem(c, err.problem, err.headers);
    if (err instanceof HTTPException) return renderProblem(c, fromHttpException(err));
    if (isTemporalUnavailable(err)) {
      logError(err);
      return renderProblem(
        c,
        {
          type: ProblemType.TemporalUnavailable,
          title: 'Temporal is unavailable',
          status: 503,
          detail: 'Try again shortly.',
        },
        { 'Retry-After': '5' },
      );
    }
    logError(err);
    return renderProblem(c, { type: ProblemType.Internal, title: 'Internal error', status: 500 });
  };
}

function fromHttpException(err: HTTPException): Problem {
  const status = err.status;
  switch (status) {
    case 400:
      return {
        type: ProblemType.MalformedJson,
        title: 'Malformed JSON',
        status,
        detail: 'The request body is not valid JSON.',
      };
    case 415:
      return {
        type: ProblemType.UnsupportedMediaType,
        title: 'Unsupported media type',
        status,
        detail: 'Send the body as application/json.',
      };
    default:
      return { type: ProblemType.Internal, title: err.message || 'Request failed', status };
  }
}

/** gRPC UNAVAILABLE or DEADLINE_EXCEEDED from the Temporal client. */
function isTemporalUnavailable(err: unknown): boolean {
  const code = grpcCodeOf(err);
  return code === grpcCode.unavailable || code === grpcCode.deadlineExceeded;
}
