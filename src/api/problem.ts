import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ProblemType } from '../contract/problem-types.js';
import type { FieldError, ProblemDetails } from '../contract/resources.js';

/** A problem as the API renders it: the contract's shape, with a status Hono can send. */
export interface Problem extends Omit<ProblemDetails, 'status'> {
  status: ContentfulStatusCode;
}

export type { FieldError };

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

/** 404 for an id that names no `thing` of the caller's tenant (unknown, or another tenant's). */
export function notFoundProblem(thing: 'Process' | 'Artifact', id: string): ProblemError {
  return new ProblemError({
    type: ProblemType.NotFound,
    title: `${thing} not found`,
    status: 404,
    detail: `No ${thing.toLowerCase()} has id "${id}".`,
  });
}

export function renderProblem(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  // The request id (src/api/observe.ts) lets a client quote the exact request to an operator.
  const requestId = c.get('requestId') as string | undefined;
  const body: Problem = {
    ...problem,
    instance: problem.instance ?? c.req.path,
    ...(requestId !== undefined && { requestId }),
  };
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': 'application/problem+json',
  });
}

/** JSON Pointer for a zod issue path: ['input', 'seconds'] → '/input/seconds'. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
