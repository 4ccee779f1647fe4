import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Problem types longrun answers with (RFC 9457 `type` URIs). */
export const ProblemType = {
  ValidationFailed: 'urn:longrun:problem:validation-failed',
  MalformedJson: 'urn:longrun:problem:malformed-json',
  NotFound: 'urn:longrun:problem:not-found',
  AlreadyEnded: 'urn:longrun:problem:already-ended',
  IdempotencyKeyReused: 'urn:longrun:problem:idempotency-key-reused',
  InvalidCursor: 'urn:longrun:problem:invalid-cursor',
  MethodNotAllowed: 'urn:longrun:problem:method-not-allowed',
  PayloadTooLarge: 'urn:longrun:problem:payload-too-large',
  /** Well-formed input that cannot be used as is, e.g. it names an artifact that does not exist. */
  UnprocessableInput: 'urn:longrun:problem:unprocessable-input',
  RangeNotSatisfiable: 'urn:longrun:problem:range-not-satisfiable',
  UnsupportedMediaType: 'urn:longrun:problem:unsupported-media-type',
  TemporalUnavailable: 'urn:longrun:problem:temporal-unavailable',
  Internal: 'urn:longrun:problem:internal',
} as const;

/**
 * One invalid part of a request: a body field located by JSON Pointer (RFC 6901), or a named
 * query/path parameter or header.
 */
export interface FieldError {
  pointer?: string;
  parameter?: string;
  header?: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: ContentfulStatusCode;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

/** Throw this anywhere in a request; the app's one `onError` renders it as problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

export function renderProblem(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  const body: Problem = { ...problem, instance: problem.instance ?? c.req.path };
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': 'application/problem+json',
  });
}

/** JSON Pointer for a zod issue path: ['input', 'seconds'] → '/input/seconds'. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
