/** A protobuf timestamp as the Temporal client returns it (`seconds` may be a Long, a number or a string). */
export interface ProtoTimestamp {
  seconds?: unknown;
  nanos?: number | null;
}

/** Milliseconds since the epoch, or `undefined` when the timestamp is unset. */
export function timestampMs(timestamp: ProtoTimestamp | null | undefined): number | undefined {
  if (!timestamp?.seconds) return undefined;
  return Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** ISO 8601, or `undefined` when the timestamp is unset. */
export function timestampToIso(timestamp: ProtoTimestamp | null | undefined): string | undefined {
  const ms = timestampMs(timestamp);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
