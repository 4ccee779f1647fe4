import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed by
 * the bytes of a `whsec_`-prefixed base64 secret. With several secrets (rotation) every one signs,
 * space-separated, so receivers holding either the old or the new secret verify.
 */
export function parseWebhookSecrets(list: string): Buffer[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      if (!entry.startsWith('whsec_')) throw new Error('each webhook secret must start with "whsec_"');
      const key = Buffer.from(entry.slice('whsec_'.length), 'base64');
      if (key.length < 24) throw new Error('each webhook secret must hold at least 24 random bytes');
      return key;
    });
}

export function signWebhook(
  secrets: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map(
      (key) => `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`,
    )
    .join(' ');
}
