/**
 * `verifyWebhook`: checks a webhook longrun sent as the Standard Webhooks spec says — the
 * `webhook-signature` (any of its `v1,` signatures) is the HMAC-SHA256 of `{id}.{timestamp}.{body}`
 * under the `whsec_` secret, and the timestamp is within the tolerance (replays are refused) —
 * and returns the event. The body must be the raw bytes received, not a re-serialized object.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookEvent } from '../webhooks/events.js';
import { WebhookVerificationError } from './errors.js';

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now (default 300 s, the spec's). */
  toleranceSeconds?: number;
  /** "Now", in ms (for tests). */
  now?: number;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string {
  const value =
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
  const first = Array.isArray(value) ? value[0] : value;
  if (!first) throw new WebhookVerificationError(`missing ${name} header`);
  return first;
}

export function verifyWebhook(
  body: string | Uint8Array,
  headers: HeaderSource,
  secret: string,
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  if (!secret.startsWith('whsec_')) throw new WebhookVerificationError('the secret must start with "whsec_"');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number');
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs((options.now ?? Date.now()) / 1000 - seconds) > tolerance) {
    throw new WebhookVerificationError('webhook-timestamp is outside the tolerance');
  }
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('no signature matches');
  const payload = JSON.parse(text) as Omit<WebhookEvent, 'id'>;
  return { ...payload, id };
}
