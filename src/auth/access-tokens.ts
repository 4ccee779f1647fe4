/**
 * Per-process browser tokens: a signed, stateless grant to read one process (its resource and its
 * event stream) until it expires. Any API instance holding `ACCESS_TOKEN_SECRETS` verifies one
 * without a store. Form: `lrt_` + base64url(JSON claims) + `.` + base64url(HMAC-SHA256 over
 * everything before the dot). The first secret signs, every one verifies, so secrets rotate.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const accessTokenPrefix = 'lrt_';

/** Browser tokens last 15 minutes unless asked otherwise, and never more than a day. */
export const defaultAccessTokenTtlSeconds = 15 * 60;
export const maxAccessTokenTtlSeconds = 24 * 3600;

export interface AccessTokenClaims {
  processId: string;
  tenant: string;
  /** The API key that issued it: revoking that key revokes its tokens too, and they share its rate. */
  keyId: string;
  expiresAt: Date;
}

const claimsSchema = z
  .object({
    v: z.literal(1),
    pid: z.string().min(1).max(200),
    ten: z.string().min(1).max(64),
    kid: z.string().min(1).max(64),
    exp: z.number().int().positive(),
  })
  .strict();

const tokenPattern = /^lrt_([A-Za-z0-9_-]{1,1000})\.([A-Za-z0-9_-]{43})$/;

/** `ACCESS_TOKEN_SECRETS`: a comma-separated list, each at least 32 characters (`openssl rand -base64 32`). */
export function parseAccessTokenSecrets(text: string): Buffer[] {
  const secrets = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (secrets.length === 0) throw new Error('no secret given');
  for (const secret of secrets) {
    if (secret.length < 32) throw new Error('each secret must have at least 32 characters');
  }
  return secrets.map((secret) => Buffer.from(secret, 'utf8'));
}

function signature(secret: Buffer, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

export function signAccessToken(claims: AccessTokenClaims, secret: Buffer): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: 1,
      pid: claims.processId,
      ten: claims.tenant,
      kid: claims.keyId,
      exp: Math.floor(claims.expiresAt.getTime() / 1000),
    }),
  ).toString('base64url');
  const signed = `${accessTokenPrefix}${payload}`;
  return `${signed}.${signature(secret, signed).toString('base64url')}`;
}

export type AccessTokenCheck =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/** Check a token's form, signature (against every secret) and expiry. */
export function verifyAccessToken(
  token: string,
  secrets: readonly Buffer[],
  now = new Date(),
): AccessTokenCheck {
  const match = tokenPattern.exec(token);
  if (!match) return { valid: false, reason: 'malformed' };
  const signed = token.slice(0, token.lastIndexOf('.'));
  const given = Buffer.from(match[2]!, 'base64url');
  // Only the canonical spelling: base64url's last character has spare bits, so two spellings
  // could decode to the same signature, and a token is one string (no variants to log or cache).
  if (given.toString('base64url') !== match[2]) return { valid: false, reason: 'malformed' };
  const signedByUs = secrets.some((secret) => {
    const expected = signature(secret, signed);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signedByUs) return { valid: false, reason: 'bad-signature' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
  } catch {
    return { valid: false, reason: 'malformed' };
  }
  const parsed = claimsSchema.safeParse(json);
  if (!parsed.success) return { valid: false, reason: 'malformed' };
  const { pid, ten, kid, exp } = parsed.data;
  if (exp * 1000 <= now.getTime()) return { valid: false, reason: 'expired' };
  return {
    valid: true,
    claims: { processId: pid, tenant: ten, keyId: kid, expiresAt: new Date(exp * 1000) },
  };
}
