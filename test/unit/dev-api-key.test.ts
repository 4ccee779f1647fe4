/** The local stack's dev key (scripts/dev-api-key.ts): made once, kept, made again when revoked or gone. */
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureDevApiKey } from '../../scripts/dev-api-key.js';
import { hashApiKey } from '../../src/auth/api-keys.js';
import { revokeApiKey } from '../../src/auth/key-admin.js';
import { readKeysFile, updateKeysFile } from '../../src/auth/keys-file.js';
import { scopes } from '../../src/contract/scopes.js';
import { useTempDir } from '../support/temp-dir.js';

let dir: string;
useTempDir('longrun-dev-key-', (made) => {
  dir = made;
});

describe('the dev API key of npm run stack', () => {
  it('is made once for tenant dev with every scope and a webhook secret, owner-only, then kept', async () => {
    const keysFile = join(dir, 'a', 'api-keys.json');
    const secretFile = join(dir, 'a-dev-api-key');
    const first = await ensureDevApiKey(keysFile, secretFile);
    assert.equal(first.created, true);
    assert.equal((await readFile(secretFile, 'utf8')).trim(), first.secret);
    assert.equal((await stat(secretFile)).mode & 0o777, 0o600);
    const file = (await readKeysFile(keysFile))!;
    const record = file.keys.find((key) => key.hash === hashApiKey(first.secret));
    assert.equal(record?.tenant, 'dev');
    assert.deepEqual(record?.scopes, [...scopes]);
    assert.equal(file.tenants.dev?.webhookSecrets.length, 1);

    const again = await ensureDevApiKey(keysFile, secretFile);
    assert.deepEqual(again, { secret: first.secret, created: false });
    assert.equal((await readKeysFile(keysFile))!.keys.length, 1, 'no second key');
  });

  it('is made again when its key was revoked, or its file is gone', async () => {
    const keysFile = join(dir, 'b', 'api-keys.json');
    const secretFile = join(dir, 'b-dev-api-key');
    const first = await ensureDevApiKey(keysFile, secretFile);
    await updateKeysFile(keysFile, (file) => revokeApiKey(file, file.keys[0]!.id));
    const second = await ensureDevApiKey(keysFile, secretFile);
    assert.equal(second.created, true);
    assert.notEqual(second.secret, first.secret);
    await rm(secretFile);
    const third = await ensureDevApiKey(keysFile, secretFile);
    assert.equal(third.created, true);
    assert.equal(
      (await readKeysFile(keysFile))!.tenants.dev?.webhookSecrets.length,
      1,
      'one webhook secret still',
    );
  });
});
