/**
 * Per-tenant webhook signing secrets (Standard Webhooks `whsec_…`), kept in the keys file: a
 * tenant verifies its own deliveries and can forge no other tenant's. Rotation adds a new secret
 * and lets the older ones sign beside it for an overlap (every active secret signs, so receivers
 * holding either verify), after which they stop.
 */
import { randomBytes } from 'node:crypto';
import type { KeysFile, WebhookSecretRecord } from './keys-file.js';

/** How long a replaced secret keeps signing by default: receivers have a day to switch. */
export const defaultRotationOverlapSeconds = 24 * 3600;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The tenant's secrets that sign now, newest first. */
export function activeWebhookSecrets(
  file: KeysFile,
  tenant: string,
  now = new Date(),
): WebhookSecretRecord[] {
  return (file.tenants[tenant]?.webhookSecrets ?? [])
    .filter((record) => record.expiresAt === undefined || Date.parse(record.expiresAt) > now.getTime())
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/**
 * Give the tenant a new secret (its first, or a rotation): every older active secret stops
 * signing `overlapSeconds` from now (0: at once). Returns the new record. `secret` may be given
 * (e.g. the local stack adopting an existing dev secret).
 */
export function rotateWebhookSecret(
  file: KeysFile,
  tenant: string,
  { overlapSeconds = defaultRotationOverlapSeconds, now = new Date(), secret = generateWebhookSecret() } = {},
): WebhookSecretRecord {
  const record: WebhookSecretRecord = {
    id: `whk_${randomBytes(6).toString('hex')}`,
    secret,
    createdAt: now.toISOString(),
  };
  const tenantRecord = (file.tenants[tenant] ??= { webhookSecrets: [] });
  const retireAt = new Date(now.getTime() + overlapSeconds * 1000);
  for (const older of activeWebhookSecrets(file, tenant, now)) {
    if (older.expiresAt === undefined || Date.parse(older.expiresAt) > retireAt.getTime()) {
      older.expiresAt = retireAt.toISOString();
    }
  }
  // Expired secrets sign nothing any more: drop them so the file does not grow forever.
  tenantRecord.webhookSecrets = tenantRecord.webhookSecrets.filter(
    (older) => older.expiresAt === undefined || Date.parse(older.expiresAt) > now.getTime(),
  );
  tenantRecord.webhookSecrets.push(record);
  return record;
}

/** Remove one secret at once (e.g. it leaked); `false` if no tenant has it. */
export function removeWebhookSecret(file: KeysFile, id: string): boolean {
  for (const tenant of Object.values(file.tenants)) {
    const index = tenant.webhookSecrets.findIndex((record) => record.id === id);
    if (index >= 0) {
      tenant.webhookSecrets.splice(index, 1);
      return true;
    }
  }
  return false;
}
