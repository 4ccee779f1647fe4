/**
 * The measures' API key: one keys file for the whole run (every stack's API reads it), with one
 * key of tenant `bench` with every scope and no rate limit, so that what is measured is the API
 * as a client with a key meets it (authentication included).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '../../src/auth/key-admin.js';
import { emptyKeysFile, keysFileSchema } from '../../src/auth/keys-file.js';

export const benchTenant = 'bench';

let provisioned: { env: Record<string, string>; authorization: string } | undefined;

function provision() {
  if (provisioned) return provisioned;
  const dir = mkdtempSync(join(tmpdir(), 'longrun-bench-keys-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = emptyKeysFile();
  const { secret } = addApiKey(file, { tenant: benchTenant });
  const path = join(dir, 'api-keys.json');
  writeFileSync(path, JSON.stringify(keysFileSchema.parse(file)), { mode: 0o600 });
  provisioned = {
    env: { API_KEYS_FILE: path, ACCESS_TOKEN_SECRETS: randomBytes(32).toString('base64url') },
    authorization: `Bearer ${secret}`,
  };
  return provisioned;
}

/** The environment every API (and worker) of the run gets: the keys file and token secret. */
export function benchAuthEnv(): Record<string, string> {
  return provision().env;
}

/** The `Authorization` header value of every request the measures send. */
export function benchAuthorization(): string {
  return provision().authorization;
}
