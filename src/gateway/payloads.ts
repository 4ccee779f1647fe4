/**
 * Decoding what the server holds (heartbeat details, search attributes) with the client's own
 * data converter, through the SDK's public API only.
 */
import type { LoadedDataConverter } from '@temporalio/common';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';

/** The first payload's value, decoded by the client's codecs and converter; `undefined` if absent or unreadable. */
export async function decodeFirst<T>(
  converter: LoadedDataConverter,
  payloads: readonly Payload[] | null | undefined,
): Promise<T | undefined> {
  const first = payloads?.[0];
  if (!first) return undefined;
  try {
    let decoded: Payload = first;
    // Codecs encode in order, so they decode in reverse.
    for (const codec of [...converter.payloadCodecs].reverse()) {
      const [next] = await codec.decode([decoded]);
      if (!next) return undefined;
      decoded = next;
    }
    return converter.payloadConverter.fromPayload<T>(decoded);
  } catch {
    return undefined;
  }
}

/**
 * A keyword search attribute from a visibility row. The server stores search attributes as plain
 * JSON payloads (never through the client's codecs), so the default converter reads them.
 */
export function keywordAttribute(
  fields: Record<string, Payload> | null | undefined,
  name: string,
): string | undefined {
  const payload = fields?.[name];
  if (!payload) return undefined;
  try {
    const value: unknown = defaultPayloadConverter.fromPayload(payload);
    // A keyword may come back as a one-element list from older servers.
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : undefined;
  } catch {
    return undefined;
  }
}
