/** Process ids, the workflow ids they map to, and the fingerprints that make keyed starts idempotent. */
import { createHash } from 'node:crypto';
import type { StartCommand } from './port.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Process ids are UUIDs: random ones, or derived from an idempotency key. */
export function isProcessId(id: string): boolean {
  return uuidPattern.test(id);
}

/** The Temporal workflow id of a process: the process id itself, so the Web UI finds it as is. */
export function workflowIdOf(processId: string): string {
  return processId;
}

/**
 * The process id for a tenant's idempotency key: a name-based UUID (version 8) from SHA-256, so
 * every API instance maps the same key to the same workflow id without any shared store, and the
 * same key from two tenants names two processes.
 */
export function processIdForKey(tenant: string, idempotencyKey: string): string {
  const bytes = createHash('sha256')
    .update(`longrun:idempotency-key:${JSON.stringify([tenant, idempotencyKey])}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Fingerprint of a start request, kept in the workflow's memo to detect key reuse with another body. */
export function requestFingerprint({ kind, input, callback }: StartCommand): string {
  return createHash('sha256').update(canonicalJson({ kind, input, callback })).digest('base64url');
}

/** JSON with object keys sorted, so equal requests have equal fingerprints. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
