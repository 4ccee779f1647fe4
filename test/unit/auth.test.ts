/** The pure parts of authentication: credentials, keys, the keys file, browser tokens, rate limits. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAccessTokenSecrets, signAccessToken, verifyAccessToken } from '../../src/auth/access-tokens.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { readCredentials } from '../../src/auth/credentials.js';
import { addApiKey, KeyAdminError, revokeApiKey } from '../../src/auth/key-admin.js';
import { KeyStore } from '../../src/auth/key-store.js';
import {
  emptyKeysFile,
  KeysFileError,
  parseKeysFile,
  parseRate,
  readKeysFile,
  updateKeysFile,
  writeKeysFile,
} from '../../src/auth/keys-file.js';
import { RateLimiter } from '../../src/auth/rate-limiter.js';
import {
  activeWebhookSecrets,
  removeWebhookSecret,
  rotateWebhookSecret,
} from '../../src/auth/webhook-secrets.js';
import { useTempDir } from '../support/temp-dir.js';

describe('reading credentials (RFC 6750)', () => {
  const header = (value: string | undefined) => readCredentials(value, []);

  it('takes a Bearer token from the header, the scheme in any case', () => {
    assert.deepEqual(header('Bearer lrk_abc'), { kind: 'bearer', token: 'lrk_abc', from: 'header' });
    assert.deepEqual(header('bearer   lrk_abc'), { kind: 'bearer', token: 'lrk_abc', from: 'header' });
    assert.deepEqual(readCredentials(undefined, ['lrt_x.y']), {
      kind: 'bearer',
      token: 'lrt_x.y',
      from: 'query',
    });
  });

  it('finds no credentials without a header, or with another scheme', () => {
    for (const value of [
      undefined,
      '',
      '   ',
      'Basic dXNlcjpwYXNz',
      'Token abc',
      'Bearerabc',
      'Digest x=1',
    ]) {
      assert.equal(header(value).kind, 'none', String(value));
    }
  });

  it('refuses malformed tokens: empty, spaces, quotes, binary, too long', () => {
    for (const value of [
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer "abc"',
      'Bearer a\u00ffb',
      'Bearer a;b',
      `Bearer ${'a'.repeat(1025)}`,
    ]) {
      assert.equal(header(value).kind, 'malformed', value);
    }
    assert.equal(header(`Bearer ${'a'.repeat(1024)}`).kind, 'bearer');
  });

  it('refuses credentials sent twice or two ways as ambiguous', () => {
    assert.equal(header('Bearer a, Bearer b').kind, 'ambiguous');
    assert.equal(header('Bearer a, bearer a').kind, 'ambiguous');
    assert.equal(readCredentials('Bearer a', ['b']).kind, 'ambiguous');
    assert.equal(readCredentials(undefined, ['a', 'b']).kind, 'ambiguous');
  });
});

describe('API keys', () => {
  it('are random, recognisable, and stored as a hash that does not contain them', () => {
    const one = generateApiKey();
    const two = generateApiKey();
    assert.notEqual(one.secret, two.secret);
    assert.notEqual(one.id, two.id);
    assert.match(one.secret, /^lrk_[A-Za-z0-9_-]{43}$/);
    assert.equal(one.hash, hashApiKey(one.secret));
    assert.ok(!one.hash.includes(one.secret.slice(4)));
  });
});

describe('the keys file', () => {
  let dir: string;
  useTempDir('longrun-keys-', (made) => {
    dir = made;
  });

  it('round-trips keys and tenants, written owner-only', async () => {
    const path = join(dir, 'a', 'keys.json');
    const file = emptyKeysFile();
    const { record, secret } = addApiKey(file, {
      tenant: 'acme',
      rate: { limit: 5, windowSeconds: 1 },
      maxOpen: 3,
    });
    rotateWebhookSecret(file, 'acme');
    await writeKeysFile(path, file);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(secret), 'the secret is never stored');
    const read = await readKeysFile(path);
    assert.deepEqual(read, file);
    assert.deepEqual(record.scopes, [
      'processes:read',
      'processes:write',
      'artifacts:read',
      'artifacts:write',
    ]);
  });

  it('says what is wrong with a malformed file', () => {
    assert.throws(() => parseKeysFile('{'), KeysFileError);
    assert.throws(() => parseKeysFile('{"version":2}'), /version/);
    const bad = {
      version: 1,
      keys: [{ id: 'key_000000000000', tenant: 'UPPER', hash: 'x', scopes: [], createdAt: 'now' }],
    };
    const message = (() => {
      try {
        parseKeysFile(JSON.stringify(bad));
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const field of ['keys.0.tenant', 'keys.0.hash', 'keys.0.scopes', 'keys.0.createdAt']) {
      assert.ok(message.includes(field), `${field} in: ${message}`);
    }
  });

  it('refuses bad tenant names and unknown key ids', () => {
    assert.throws(() => addApiKey(emptyKeysFile(), { tenant: 'Has Space' }), KeyAdminError);
    assert.throws(() => addApiKey(emptyKeysFile(), { tenant: 'x'.repeat(64) }), KeyAdminError);
    assert.throws(() => revokeApiKey(emptyKeysFile(), 'key_000000000000'), KeyAdminError);
  });

  it('loses no change when commands run at once (the lock)', async () => {
    const path = join(dir, 'concurrent.json');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateKeysFile(path, (file) => addApiKey(file, { tenant: `t${i}` })),
      ),
    );
    assert.equal((await readKeysFile(path))?.keys.length, 8);
  });

  it('parses rates per second, minute and hour', () => {
    assert.deepEqual(parseRate('10/s'), { limit: 10, windowSeconds: 1 });
    assert.deepEqual(parseRate('600/min'), { limit: 600, windowSeconds: 60 });
    assert.deepEqual(parseRate('1000/h'), { limit: 1000, windowSeconds: 3600 });
    for (const bad of ['0/s', '10', '10/d', '-1/s', 'ten/s', '1.5/s'])
      assert.equal(parseRate(bad), undefined, bad);
  });
});

describe('the key store', () => {
  let dir: string;
  useTempDir('longrun-store-', (made) => {
    dir = made;
  });

  it('finds active keys by secret and by id, never revoked ones', () => {
    const file = emptyKeysFile();
    const kept = addApiKey(file, { tenant: 'acme' });
    const revoked = addApiKey(file, { tenant: 'acme' });
    revokeApiKey(file, revoked.record.id);
    const store = KeyStore.of(file);
    assert.equal(store.findKey(kept.secret)?.id, kept.record.id);
    assert.equal(store.keyById(kept.record.id)?.tenant, 'acme');
    assert.equal(store.findKey(revoked.secret), undefined);
    assert.equal(store.keyById(revoked.record.id), undefined);
    assert.equal(store.findKey('lrk_unknown'), undefined);
  });

  it('picks up a changed file, and keeps the last good keys when a change does not parse', async () => {
    const path = join(dir, 'keys.json');
    const warnings: string[] = [];
    const first = await updateKeysFile(path, (file) => addApiKey(file, { tenant: 'acme' }));
    const store = await KeyStore.open({ path, reloadIntervalMs: 50, warn: (text) => warnings.push(text) });
    try {
      assert.ok(store.findKey(first.secret));
      const second = await updateKeysFile(path, (file) => addApiKey(file, { tenant: 'globex' }));
      await until(() => store.findKey(second.secret) !== undefined);
      await updateKeysFile(path, (file) => revokeApiKey(file, first.record.id));
      await until(() => store.findKey(first.secret) === undefined);

      await writeFile(path, '{ not json');
      await until(() => warnings.some((text) => text.includes('is not JSON')));
      assert.ok(store.findKey(second.secret), 'the last good keys stay');
    } finally {
      store.close();
    }
  });

  it('refuses to open a malformed file', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '[]');
    await assert.rejects(KeyStore.open({ path }), KeysFileError);
  });

  it("gives a tenant's active webhook secrets only", () => {
    const file = emptyKeysFile();
    addApiKey(file, { tenant: 'acme' });
    rotateWebhookSecret(file, 'acme');
    const store = KeyStore.of(file);
    assert.equal(store.webhookSecrets('acme').length, 1);
    assert.equal(store.webhookSecrets('acme')[0]?.length, 32);
    assert.deepEqual(store.webhookSecrets('globex'), []);
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('not within 5 s');
    await sleep(20);
  }
}

describe('webhook secret rotation', () => {
  it('signs with the old secret beside the new one for the overlap, then with the new one alone', () => {
    const file = emptyKeysFile();
    const t0 = new Date('2030-01-01T00:00:00Z');
    const first = rotateWebhookSecret(file, 'acme', { now: t0 });
    const second = rotateWebhookSecret(file, 'acme', { now: t0, overlapSeconds: 3600 });
    const ids = (at: Date) => activeWebhookSecrets(file, 'acme', at).map((record) => record.id);
    assert.deepEqual(new Set(ids(new Date('2030-01-01T00:59:00Z'))), new Set([first.id, second.id]));
    assert.deepEqual(ids(new Date('2030-01-01T01:00:01Z')), [second.id]);
    assert.notEqual(first.secret, second.secret);
    assert.ok(removeWebhookSecret(file, second.id));
    assert.ok(!removeWebhookSecret(file, second.id));
  });

  it('keeps tenants apart', () => {
    const file = emptyKeysFile();
    rotateWebhookSecret(file, 'acme');
    assert.deepEqual(activeWebhookSecrets(file, 'globex'), []);
  });
});

describe('browser tokens', () => {
  const secret = randomBytes(32);
  const claims = {
    processId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    tenant: 'acme',
    keyId: 'key_0123456789ab',
    expiresAt: new Date(Date.now() + 60_000),
  };

  it('verify with the secret that signed them, and carry their claims', () => {
    const token = signAccessToken(claims, secret);
    assert.match(token, /^lrt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const checked = verifyAccessToken(token, [secret]);
    assert.ok(checked.valid);
    assert.equal(checked.claims.processId, claims.processId);
    assert.equal(checked.claims.tenant, 'acme');
    assert.equal(checked.claims.keyId, claims.keyId);
    assert.equal(checked.claims.expiresAt.getTime(), Math.floor(claims.expiresAt.getTime() / 1000) * 1000);
  });

  it('are refused when expired', () => {
    const token = signAccessToken({ ...claims, expiresAt: new Date(Date.now() - 1000) }, secret);
    assert.deepEqual(verifyAccessToken(token, [secret]), { valid: false, reason: 'expired' });
    const later = signAccessToken(claims, secret);
    assert.deepEqual(verifyAccessToken(later, [secret], new Date(Date.now() + 120_000)), {
      valid: false,
      reason: 'expired',
    });
  });

  it('are refused when tampered with: another payload, signature or secret', () => {
    const token = signAccessToken(claims, secret);
    const [payload, signature] = token.slice(4).split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ v: 1, pid: 'another', ten: 'acme', kid: claims.keyId, exp: 9_999_999_999 }),
    ).toString('base64url');
    assert.equal(verifyAccessToken(`lrt_${forged}.${signature}`, [secret]).valid, false);
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal(verifyAccessToken(`lrt_${payload}.${flipped}`, [secret]).valid, false);
    // The last character's spare bits: another spelling of the same signature is no token either.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spare = alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]!;
    const respelled = `${signature.slice(0, -1)}${spare}`;
    assert.deepEqual(Buffer.from(respelled, 'base64url'), Buffer.from(signature, 'base64url'));
    assert.equal(verifyAccessToken(`lrt_${payload}.${respelled}`, [secret]).valid, false);
    assert.deepEqual(verifyAccessToken(token, [randomBytes(32)]), { valid: false, reason: 'bad-signature' });
    for (const junk of ['', 'lrt_', 'lrt_.', `lrt_${payload}`, `${token}x`, 'lrk_abc']) {
      assert.equal(verifyAccessToken(junk, [secret]).valid, false, junk);
    }
  });

  it('rotate: the first secret signs, every listed one verifies', () => {
    const [next, previous] = parseAccessTokenSecrets(`${'n'.repeat(32)},${'p'.repeat(40)}`) as [
      Buffer,
      Buffer,
    ];
    const old = signAccessToken(claims, previous);
    assert.ok(verifyAccessToken(old, [next, previous]).valid);
    assert.equal(verifyAccessToken(old, [next]).valid, false);
    assert.throws(() => parseAccessTokenSecrets('short'), /32 characters/);
    assert.throws(() => parseAccessTokenSecrets(' , '), /no secret/);
  });
});

describe('the rate limiter (a token bucket per key)', () => {
  it('lets a burst of the limit through, then refills evenly, with the IETF fields', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const rate = { limit: 3, windowSeconds: 1 };
    const decisions = [1, 2, 3, 4].map(() => limiter.take('k', rate));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false],
    );
    assert.equal(decisions[0]?.headers['RateLimit-Policy'], '"per-key";q=3;w=1');
    assert.equal(decisions[0]?.headers.RateLimit, '"per-key";r=2;t=1');
    const refused = decisions[3]!;
    assert.equal(refused.headers['Retry-After'], '1');
    assert.equal(refused.headers.RateLimit, '"per-key";r=0;t=1');
    now = 340; // one token is back after 333 ms
    assert.equal(limiter.take('k', rate).allowed, true);
    assert.equal(limiter.take('k', rate).allowed, false);
    now = 10_000; // never more than the limit saved up
    assert.equal(limiter.take('k', rate).remaining, 2);
  });

  it('keeps keys apart, and says when the next request fits a slow rate', () => {
    const limiter = new RateLimiter(() => 0);
    const slow = { limit: 1, windowSeconds: 60 };
    assert.equal(limiter.take('a', slow).allowed, true);
    const refused = limiter.take('a', slow);
    assert.equal(refused.allowed, false);
    assert.equal(refused.headers['Retry-After'], '60');
    assert.equal(refused.headers['RateLimit-Policy'], '"per-key";q=1;w=60');
    assert.equal(limiter.take('b', slow).allowed, true, 'another key is unaffected');
  });

  it('starts a full bucket of the new size when the rate changes', () => {
    const limiter = new RateLimiter(() => 0);
    limiter.take('a', { limit: 1, windowSeconds: 1 });
    assert.equal(limiter.take('a', { limit: 5, windowSeconds: 1 }).remaining, 4);
  });
});
