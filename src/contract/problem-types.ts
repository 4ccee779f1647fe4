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
  Internal: 'urn:longrun:problem:internal',
} as const;
