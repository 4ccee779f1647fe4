/**
 * The API's entry point with NODE_ENV=production: without an active API key (or without
 * ACCESS_TOKEN_SECRETS) it refuses to start, with a message naming the setting and the fix,
 * before it connects to anything.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../scripts/launcher.js';
import { addApiKey, revokeApiKey } from '../../src/auth/key-admin.js';
import { updateKeysFile } from '../../src/auth/keys-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'longrun-production-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the API's entry point; it should exit on its own (killed after 30 s otherwise). */
function runApi(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/api/server.ts'],
      {
        cwd: repoRoot,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'production',
          // Nothing listens there: a refusal must come before any connection.
          TEMPORAL_ADDRESS: '127.0.0.1:1',
          PORT: '0',
          ...env,
        },
      },
      (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
}

const secrets = randomBytes(32).toString('base64url');

describe('NODE_ENV=production', () => {
  it('refuses to start without a keys file, naming API_KEYS_FILE and the api-key tool', async () => {
    const { code, stderr } = await runApi({
      API_KEYS_FILE: join(dir, 'missing.json'),
      ACCESS_TOKEN_SECRETS: secrets,
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /API_KEYS_FILE: .*holds no API key/);
    assert.match(stderr, /npm run --silent api-key -- create --tenant/);
  });

  it('refuses to start when every key is revoked', async () => {
    const file = join(dir, 'revoked.json');
    await updateKeysFile(file, (keys) => revokeApiKey(keys, addApiKey(keys, { tenant: 'acme' }).record.id));
    const { code, stderr } = await runApi({ API_KEYS_FILE: file, ACCESS_TOKEN_SECRETS: secrets });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /holds no API key/);
  });

  it('refuses to start with keys but without ACCESS_TOKEN_SECRETS', async () => {
    const file = join(dir, 'keys.json');
    await updateKeysFile(file, (keys) => addApiKey(keys, { tenant: 'acme' }));
    const { code, stderr } = await runApi({ API_KEYS_FILE: file });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /ACCESS_TOKEN_SECRETS: required when NODE_ENV=production/);
  });
});
