/**
 * The problem answers of authentication and authorization (RFC 9457 bodies), with the headers
 * RFC 6750 asks for: `WWW-Authenticate: Bearer` on 401 (and 400/403, naming the error code), and
 * on 429 `Retry-After` with the rate-limit fields.
 */
import { ProblemType } from '../contract/problem-types.js';
import type { Scope } from '../contract/scopes.js';
import { ProblemError } from '../api/problem.js';

export const realm = 'longrun';

/** RFC 6750 §3: `error_description` may not hold quotes or backslashes. */
function challenge(error?: string, description?: string, scope?: Scope): string {
  const params = [`realm="${realm}"`];
  if (error) params.push(`error="${error}"`);
  if (description) params.push(`error_description="${description.replace(/["\\]/g, "'")}"`);
  if (scope) params.push(`scope="${scope}"`);
  return `Bearer ${params.join(', ')}`;
}

/** 401 without an error code: the request carried no Bearer credentials (RFC 6750 §3.1). */
export function missingCredentials(detail: string): ProblemError {
  return new ProblemError(
    {
      type: ProblemType.Unauthenticated,
      title: 'Authentication required',
      status: 401,
      detail,
      errors: [{ header: 'authorization', detail: 'Missing Bearer credentials.' }],
    },
    { 'WWW-Authenticate': challenge() },
  );
}

/** A problem about the `Authorization` header, with the RFC 6750 challenge naming its error code. */
function credentialsProblem(
  type: (typeof ProblemType)[keyof typeof ProblemType],
  title: string,
  status: 400 | 401,
  error: string,
  detail: string,
): ProblemError {
  return new ProblemError(
    { type, title, status, detail, errors: [{ header: 'authorization', detail }] },
    { 'WWW-Authenticate': challenge(error, detail) },
  );
}

/** 401 `invalid_token`: unknown, revoked, malformed, expired, tampered or another process's. */
export function invalidToken(detail: string): ProblemError {
  return credentialsProblem(ProblemType.Unauthenticated, 'Invalid credentials', 401, 'invalid_token', detail);
}

/** 400 `invalid_request`: credentials sent twice or two ways (RFC 6750 §2). */
export function ambiguousCredentials(detail: string): ProblemError {
  return credentialsProblem(
    ProblemType.InvalidCredentialsRequest,
    'Ambiguous credentials',
    400,
    'invalid_request',
    detail,
  );
}

/** 403 `insufficient_scope`. */
export function insufficientScope(scope: Scope, detail: string): ProblemError {
  return new ProblemError(
    { type: ProblemType.InsufficientScope, title: 'Insufficient scope', status: 403, detail },
    { 'WWW-Authenticate': challenge('insufficient_scope', detail, scope) },
  );
}

/** 429: over the key's rate; `headers` carry `Retry-After`, `RateLimit-Policy` and `RateLimit`. */
export function rateLimited(retryAfterSeconds: number, headers: Record<string, string>): ProblemError {
  return new ProblemError(
    {
      type: ProblemType.RateLimited,
      title: 'Too many requests',
      status: 429,
      detail: `This key's request rate is used up; retry in ${retryAfterSeconds} s.`,
    },
    headers,
  );
}
