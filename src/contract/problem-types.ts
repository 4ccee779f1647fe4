/** The `type` of every problem+json answer (RFC 9457 `type` URIs): part of the contract clients can switch on. */
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
  /** 400: an HTTP request the server could not parse (answered before any route). */
  MalformedRequest: 'urn:longrun:problem:malformed-request',
  /** 431: request headers past the server's limit (e.g. a huge token). */
  HeadersTooLarge: 'urn:longrun:problem:headers-too-large',
  /** 401: no credentials, or an unknown, revoked, malformed, expired or foreign token (see `WWW-Authenticate`). */
  Unauthenticated: 'urn:longrun:problem:unauthenticated',
  /** 400: credentials sent more than one way, or more than once. */
  InvalidCredentialsRequest: 'urn:longrun:problem:invalid-credentials-request',
  /** 403: the key lacks the scope the operation needs. */
  InsufficientScope: 'urn:longrun:problem:insufficient-scope',
  /** 429: over the key's request rate (`Retry-After`, `RateLimit-Policy`, `RateLimit`). */
  RateLimited: 'urn:longrun:problem:rate-limited',
  /** 429: the tenant has as many processes open as the key allows. */
  QuotaExceeded: 'urn:longrun:problem:quota-exceeded',
  Internal: 'urn:longrun:problem:internal',
} as const;
