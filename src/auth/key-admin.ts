/**
 * Changes to the keys file, as pure functions of its contents: what the `api-key` tool, the local
 * stack and the test stack do (through `updateKeysFile`, which locks and writes atomically).
 */
import { isTenantName, scopes as allScopes, type Scope } from '../contract/scopes.js';
import { generateApiKey } from './api-keys.js';
import type { ApiKeyRecord, KeysFile, RateLimit } from './keys-file.js';

export interface NewKeyOptions {
  tenant: string;
  /** Default: every scope. */
  scopes?: readonly Scope[];
  rate?: RateLimit;
  maxOpen?: number;
  now?: Date;
}

export class KeyAdminError extends Error {
  override name = 'KeyAdminError';
}

/** Add a key; returns its record and its secret (shown once: only the hash is kept). */
export function addApiKey(file: KeysFile, options: NewKeyOptions): { record: ApiKeyRecord; secret: string } {
  if (!isTenantName(options.tenant)) {
    throw new KeyAdminError(
      `"${options.tenant}" is not a tenant name: 1 to 63 of a-z 0-9 . _ -, starting with a letter or digit`,
    );
  }
  const { id, secret, hash } = generateApiKey();
  const record: ApiKeyRecord = {
    id,
    tenant: options.tenant,
    hash,
    scopes: [...new Set(options.scopes?.length ? options.scopes : allScopes)],
    ...(options.rate && { rate: options.rate }),
    ...(options.maxOpen !== undefined && { maxOpen: options.maxOpen }),
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  file.keys.push(record);
  file.tenants[options.tenant] ??= { webhookSecrets: [] };
  return { record, secret };
}

/** Revoke a key at once (kept in the file, marked, so that `list` shows what happened). */
export function revokeApiKey(file: KeysFile, id: string, now = new Date()): ApiKeyRecord {
  const record = file.keys.find((key) => key.id === id);
  if (!record) throw new KeyAdminError(`no key has id "${id}"`);
  record.revokedAt ??= now.toISOString();
  return record;
}
