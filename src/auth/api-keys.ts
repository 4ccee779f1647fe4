/**
 * API keys: random secrets shown once, stored only as hashes. A key carries 256 random bits, so a
 * fast hash (SHA-256) is the right one: nothing can be guessed, and checking a request costs a
 * microsecond (a slow password hash would cost every request milliseconds and buy nothing).
 */
import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so that secret scanners and people recognise one. */
export const apiKeyPrefix = 'lrk_';

/** The longest credential worth looking at; anything longer is refused unread. */
export const maxCredentialLength = 1024;

/** A new key's id (safe to show and log) and its secret (shown once, never stored). */
export function generateApiKey(): { id: string; secret: string; hash: string } {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
  return { id, secret, hash: hashApiKey(secret) };
}

/** How a key is stored: `sha256:` and the base64url SHA-256 of the whole secret. */
export function hashApiKey(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}
