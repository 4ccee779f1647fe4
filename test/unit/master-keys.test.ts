import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, loadKeyRing } from '../../src/config.js';
import { KeyRing, parseMasterKeys } from '../../src/crypto/keyring.js';
import { useTempDir } from '../support/temp-dir.js';

describe('master keys', () => {
  const key = randomBytes(32).toString('base64');

  it('parses keyId:base64key lists', () => {
    const keys = parseMasterKeys(` a:${key}, b.2_x-y:${key} `);
    assert.deepEqual(
      keys.map((k) => [k.id, k.key.length]),
      [
        ['a', 32],
        ['b.2_x-y', 32],
      ],
    );
    assert.equal(new KeyRing(keys).active.id, 'a');
    assert.equal(new KeyRing(keys, 'b.2_x-y').active.id, 'b.2_x-y');
  });

  it('refuses bad lists without ever quoting key material', () => {
    const short = randomBytes(16).toString('base64');
    for (const text of [
      '',
      'nokey',
      `:${key}`,
      `a:${short}`,
      `a:not base64!`,
      `a:${key},a:${key}`,
      `a b:${key}`,
    ]) {
      assert.throws(
        () => parseMasterKeys(text),
        (err: Error) => !err.message.includes(key) && !err.message.includes(short),
        text,
      );
    }
    assert.throws(() => new KeyRing(parseMasterKeys(`a:${key}`), 'b'), /no master key has id "b"/);
  });
});

describe('master keys from configuration', () => {
  const key = randomBytes(32).toString('base64');
  let folder: string;
  useTempDir('longrun-keys-', (made) => {
    folder = made;
  });

  it('reads MASTER_KEYS and ACTIVE_MASTER_KEY_ID', async () => {
    const config = loadConfig({ MASTER_KEYS: `old:${key},new:${key}`, ACTIVE_MASTER_KEY_ID: 'new' });
    const { keys, devOnly } = await loadKeyRing(config, join(folder, 'unused'));
    assert.equal(devOnly, false);
    assert.equal(keys.active.id, 'new');
    assert.deepEqual(keys.ids, ['old', 'new']);
    await assert.rejects(stat(join(folder, 'unused')), { code: 'ENOENT' });
  });

  it('names a bad variable without quoting key material', async () => {
    const short = randomBytes(8).toString('base64');
    assert.throws(
      () => loadConfig({ MASTER_KEYS: `a:${short}` }),
      (err: Error) =>
        err instanceof ConfigError && /MASTER_KEYS/.test(err.message) && !err.message.includes(short),
    );
    await assert.rejects(
      loadKeyRing(loadConfig({ MASTER_KEYS: `a:${key}`, ACTIVE_MASTER_KEY_ID: 'b' })),
      (err: Error) => err instanceof ConfigError && /ACTIVE_MASTER_KEY_ID/.test(err.message),
    );
  });

  it('outside production, generates one dev-only key (owner-only file) and keeps using it', async () => {
    const file = join(folder, 'sub', 'dev-master-key');
    const first = await loadKeyRing(loadConfig({}), file);
    assert.equal(first.devOnly, true);
    assert.match(first.keys.active.id, /^dev-[0-9a-f]{8}$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const second = await loadKeyRing(loadConfig({}), file);
    assert.equal(second.keys.active.id, first.keys.active.id);
    assert.deepEqual(second.keys.active.key, first.keys.active.key);
    assert.match(await readFile(file, 'utf8'), /^dev-[0-9a-f]{8}:/);
  });

  it('refuses to run without MASTER_KEYS in production', async () => {
    const file = join(folder, 'never');
    await assert.rejects(
      loadKeyRing(loadConfig({ NODE_ENV: 'production' }), file),
      (err: Error) => err instanceof ConfigError && /MASTER_KEYS: required/.test(err.message),
    );
    await assert.rejects(stat(file), { code: 'ENOENT' });
  });
});
