/** The gRPC status codes the gateway and the API tell apart, and the code of an error from the Temporal client. */

/** gRPC status codes by name (the Temporal client's errors carry them as numbers). */
export const grpcCode = {
  deadlineExceeded: 4,
  notFound: 5,
  permissionDenied: 7,
  unimplemented: 12,
  unavailable: 14,
} as const;

/** The gRPC status code of a client error: its own, or its cause's (the SDK wraps some); `undefined` for any other error. */
export function grpcCodeOf(err: unknown): number | undefined {
  const code =
    (err as { code?: unknown } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'number' ? code : undefined;
}
