import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { parseRetryAfter, retryDelayMs } from '../../src/webhooks/retry.js';
import { checkCallbackUrl, parseCallbackPolicy, refuseAddress } from '../../src/webhooks/callback-policy.js';
import { parseWebhookSecrets, signWebhook } from '../../src/webhooks/signing.js';
import { preferredWaitSeconds } from '../../src/api/prefer.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('webhook signing', () => {
  it('signs so that the standardwebhooks library verifies, with every listed secret', () => {
    const [oldSecret, newOne] = [newSecret(), newSecret()];
    const keys = parseWebhookSecrets(`${oldSecret}, ${newOne}`);
    const body = JSON.stringify({
      type: 'process.succeeded',
      timestamp: new Date().toISOString(),
      data: { id: 'x' },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(keys, 'msg_1', timestamp, body),
    };
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [oldSecret, newOne])
      assert.doesNotThrow(() => new Webhook(secret).verify(body, headers));
    assert.throws(() => new Webhook(newSecret()).verify(body, headers));
    assert.throws(() => new Webhook(oldSecret).verify(`${body} `, headers), 'a changed body fails');
  });

  it('refuses secrets that are not whsec_ or too short', () => {
    assert.throws(() => parseWebhookSecrets('secret'), /whsec_/);
    assert.throws(() => parseWebhookSecrets(`whsec_${randomBytes(8).toString('base64')}`), /24/);
    assert.deepEqual(parseWebhookSecrets(' , '), []);
  });
});

describe('delivery backoff', () => {
  it('grows exponentially with jitter, capped at an hour', () => {
    // attempt, what the random source gives, the delay
    const expected: [number, number, number][] = [
      [1, 0, 500],
      [1, 1, 1000],
      [4, 1, 8000],
      [40, 1, 3_600_000],
    ];
    for (const [attempt, random, delayMs] of expected) {
      assert.equal(
        retryDelayMs(attempt, () => random),
        delayMs,
        `attempt ${attempt}, random ${random}`,
      );
    }
    const spread = new Set(Array.from({ length: 20 }, () => retryDelayMs(5)));
    assert.ok(spread.size > 1, 'jittered');
  });

  it('reads Retry-After as seconds or a date', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('999999'), 3_600_000);
  });
});

describe('callback policy', () => {
  const defaults = parseCallbackPolicy('', '');

  it('refuses link-local, metadata and non-http URLs by default', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://metadata.google.internal/',
      'http://100.100.100.200/',
      'ftp://example.com/',
      'javascript:alert(1)',
      'nonsense',
    ]) {
      assert.ok(await checkCallbackUrl(url, defaults), url);
    }
  });

  it('allows loopback and ordinary addresses by default', async () => {
    assert.equal(await checkCallbackUrl('http://127.0.0.1:8080/hook', defaults), undefined);
    assert.equal(await checkCallbackUrl('https://[::1]/hook', defaults), undefined);
    assert.equal(refuseAddress('hooks.example.com', '93.184.216.34', defaults), undefined);
  });

  it('applies configured allow and deny rules', async () => {
    const strict = parseCallbackPolicy('*.example.com, 10.0.0.0/8', '127.0.0.0/8');
    assert.equal(refuseAddress('hooks.example.com', '93.184.216.34', strict), undefined);
    assert.equal(refuseAddress('10.1.2.3', '10.1.2.3', strict), undefined);
    assert.match(refuseAddress('other.org', '93.184.216.34', strict) ?? '', /allow list/);
    assert.match((await checkCallbackUrl('http://127.0.0.1/', strict)) ?? '', /not allowed/);
    assert.throws(() => parseCallbackPolicy('', '10.0.0.0/99'), /prefix/);
  });
});

describe('Prefer: wait', () => {
  it('parses RFC 7240 wait, capped', () => {
    assert.equal(preferredWaitSeconds('wait=10', 60), 10);
    assert.equal(preferredWaitSeconds('respond-async, wait=5', 60), 5);
    assert.equal(preferredWaitSeconds('WAIT = 7', 60), 7);
    assert.equal(preferredWaitSeconds('wait="3"', 60), 3);
    assert.equal(preferredWaitSeconds('wait=1000', 60), 60);
    assert.equal(preferredWaitSeconds('wait=abc', 60), undefined);
    assert.equal(preferredWaitSeconds('return=minimal', 60), undefined);
    assert.equal(preferredWaitSeconds(undefined, 60), undefined);
  });
});
