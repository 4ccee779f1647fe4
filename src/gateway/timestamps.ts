/**
 * Protobuf `google.protobuf.Timestamp` values as the Temporal client hands them out: `seconds` is
 * a `Long` from the wire, but a number or a decimal string when the value was built or parsed
 * elsewhere (JSON, tests). Absent (`null`/`undefined`) means "not set", never the epoch.
 */
export interface ProtoTimestamp {
  seconds?: { toNumber(): number } | number | string | null;
  nanos?: number | null;
}

/** Milliseconds since the epoch (fractional, from `nanos`), or `undefined` when unset or unusable. */
export function timestampMs(timestamp: ProtoTimestamp | null | undefined): number | undefined {
  const seconds = timestamp?.seconds;
  if (seconds === null || seconds === undefined) return undefined;
  if (typeof seconds === 'string' && seconds.trim() === '') return undefined;
  const whole = typeof seconds === 'object' ? seconds.toNumber() : Number(seconds);
  const value = whole * 1000 + (timestamp?.nanos ?? 0) / 1e6;
  return Number.isFinite(value) ? value : undefined;
}

/** The largest magnitude a JavaScript Date holds (±100,000,000 days from the epoch). */
const maxDateMs = 8.64e15;

/** ISO 8601 in UTC with millisecond precision (sub-millisecond nanos dropped), or `undefined`. */
export function timestampToIso(timestamp: ProtoTimestamp | null | undefined): string | undefined {
  const value = timestampMs(timestamp);
  if (value === undefined || Math.abs(value) > maxDateMs) return undefined;
  return new Date(Math.floor(value)).toISOString();
}
