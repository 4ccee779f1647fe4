/**
 * The local stack's own API key: tenant `dev`, every scope, its secret kept in .data/dev-api-key
 * (owner-only) so that curl lines can read it. Made once, and again only when the file is gone or
 * its key was revoked; the tenant also gets a webhook signing secret, so callbacks work locally.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { hashApiKey } from '../src/auth/api-keys.js';
import { addApiKey } from '../src/auth/key-admin.js';
import { readKeysFile, updateKeysFile } from '../src/auth/keys-file.js';
import { activeWebhookSecrets, rotateWebhookSecret } from '../src/auth/webhook-secrets.js';
import { devApiKeyFile } from '../src/cli/settings.js';

// One path for the stack that writes the key and the CLI that reads it.
export { devApiKeyFile };
export const devTenant = 'dev';

export interface DevApiKey {
  secret: string;
  /** Whether it was made now (else an earlier run's key, still active, is reused). */
  created: boolean;
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The dev key in `keysFile`: the one in {@link devApiKeyFile} if it is still active, else a new one. */
export async function ensureDevApiKey(keysFile: string, secretFile = devApiKeyFile): Promise<DevApiKey> {
  const existing = await readSecret(secretFile);
  const file = await readKeysFile(keysFile);
  if (existing && file) {
    const hash = hashApiKey(existing);
    const active = file.keys.some((key) => key.hash === hash && !key.revokedAt);
    if (active) {
      if (activeWebhookSecrets(file, devTenant).length === 0) {
        await updateKeysFile(keysFile, (keys) => rotateWebhookSecret(keys, devTenant));
      }
      return { secret: existing, created: false };
    }
  }
  const secret = await updateKeysFile(keysFile, (keys) => {
    const { secret: made } = addApiKey(keys, { tenant: devTenant });
    if (activeWebhookSecrets(keys, devTenant).length === 0) rotateWebhookSecret(keys, devTenant);
    return made;
  });
  await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  await chmod(secretFile, 0o600); // an older file keeps its mode on overwrite
  return { secret, created: true };
}
