/**
 * Browser tokens, rate limits, quotas, key revocation and per-tenant webhook secrets end to end
 * (HTTP → API process → worker → Temporal dev server), with the real `api-key` tool on the
 * stack's keys file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../../scripts/launcher.js';
import { ProblemType } from '../../src/contract/problem-types.js';
import { jsonRequest, pollUntilEnded, requestJson, startProcess } from '../support/api-client.js';
import { expectProblem } from '../support/problem.js';
import { openEventStream, waitForStream, WebhookReceiver } from '../support/receivers.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const receivers: WebhookReceiver[] = [];
before(async () => {
  stack = await startStack();
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

const long = { kind: 'delay', input: { seconds: 600, steps: 600 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the API has reloaded the keys file: the key is accepted. */
async function untilAccepted(apiKey: string): Promise<void> {
  await eventually(
    () => requestJson(`${stack.api.url}/processes?limit=1`, { apiKey }),
    (answer) => answer.status !== 401,
    { timeoutMs: 10_000, intervalMs: 100, what: 'the API to load a new key' },
  );
}

async function tokenFor(id: string, body?: unknown) {
  const answer = await requestJson<{ token: string; expiresAt: string }>(
    `${stack.api.url}/processes/${id}/access-tokens`,
    body === undefined ? { method: 'POST' } : jsonRequest(body),
  );
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

describe('browser tokens', () => {
  it('read their own process (header, ?access_token=, event stream) and nothing else', async () => {
    const mine = (await startProcess(stack.api.url, long)).body.id;
    const other = (await startProcess(stack.api.url, long)).body.id;
    const { token, expiresAt } = await tokenFor(mine);
    const minutes = (Date.parse(expiresAt) - Date.now()) / 60_000;
    assert.ok(minutes > 14 && minutes <= 15, `15 minutes by default (${minutes})`);
    const url = (id: string, suffix = '') => `${stack.api.url}/processes/${id}${suffix}`;

    assert.equal((await requestJson(url(mine), { apiKey: token })).status, 202, 'Bearer header');
    assert.equal(
      (await requestJson(url(mine, `?access_token=${token}`), { apiKey: null })).status,
      202,
      'query',
    );
    const stream = await openEventStream(url(mine, `/events?access_token=${token}`), {}, { apiKey: null });
    assert.equal(stream.status, 200);
    assert.equal(stream.contentType?.split(';')[0], 'text/event-stream');
    await waitForStream(stream, (s) => s.events.length >= 1, 'a first event');
    assert.equal((JSON.parse(stream.events[0]!.data) as { id: string }).id, mine);
    stream.abort();

    await expectProblem(await requestJson(url(other), { apiKey: token }), 401, "another process's GET");
    const otherStream = await openEventStream(
      url(other, `/events?access_token=${token}`),
      {},
      { apiKey: null },
    );
    assert.equal(otherStream.status, 401, "another process's stream");
    await expectProblem(
      await requestJson(url(mine, '/cancel'), { method: 'POST', apiKey: token }),
      403,
      'cancel',
    );
    await expectProblem(await requestJson(`${stack.api.url}/processes`, { apiKey: token }), 403, 'list');

    // Tampered: one character of the signature, or of the claims, changed.
    const dot = token.lastIndexOf('.');
    const change = (at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    await expectProblem(
      await requestJson(url(mine), { apiKey: change(dot + 10) }),
      401,
      'tampered signature',
    );
    await expectProblem(await requestJson(url(mine), { apiKey: change(10) }), 401, 'tampered claims');
  });

  it('expire', async () => {
    const mine = (await startProcess(stack.api.url, long)).body.id;
    const { token } = await tokenFor(mine, { ttlSeconds: 1 });
    assert.equal((await requestJson(`${stack.api.url}/processes/${mine}`, { apiKey: token })).status, 202);
    await sleep(2100);
    const expired = await expectProblem(
      await requestJson(`${stack.api.url}/processes/${mine}`, { apiKey: token }),
      401,
      'expired',
    );
    assert.match(expired.detail ?? '', /expired/);
    const stream = await openEventStream(
      `${stack.api.url}/processes/${mine}/events?access_token=${token}`,
      {},
      { apiKey: null },
    );
    assert.equal(stream.status, 401, 'an expired token on the event stream');
  });
});

describe('rate limits and quotas', () => {
  it('over the rate: 429 with Retry-After, RateLimit-Policy and RateLimit; other keys unaffected', async () => {
    const limited = await stack.createKey({ tenant: stack.tenant, rate: { limit: 3, windowSeconds: 60 } });
    await untilAccepted(limited); // takes one request
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await requestJson(`${stack.api.url}/processes?limit=1`, { apiKey: limited }));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 429, 429],
    );
    assert.equal(answers[0]!.headers.get('ratelimit-policy'), '"per-key";q=3;w=60');
    assert.match(answers[1]!.headers.get('ratelimit') ?? '', /^"per-key";r=0;t=\d+$/);
    const refused = answers[2]!;
    const problem = await expectProblem(refused, 429);
    assert.equal(problem.type, ProblemType.RateLimited);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 20, `Retry-After ${refused.headers.get('retry-after')}`);
    assert.equal(refused.headers.get('ratelimit-policy'), '"per-key";q=3;w=60');
    assert.match(refused.headers.get('ratelimit') ?? '', /^"per-key";r=0;t=\d+$/);
    // Another key, of the same tenant, at once.
    assert.equal((await requestJson(`${stack.api.url}/processes?limit=1`)).status, 200);
  });

  it('over --max-open: 429 quota-exceeded at POST; a slot freed lets the next start', async () => {
    const quota = await stack.createKey({ tenant: 'quota', maxOpen: 2 });
    await untilAccepted(quota);
    const start = () => requestJson(`${stack.api.url}/processes`, { ...jsonRequest(long), apiKey: quota });
    const first = await start();
    const second = await start();
    assert.deepEqual([first.status, second.status], [202, 202]);
    const open = "LongrunTenant = 'quota' AND ExecutionStatus = 'Running'";
    await eventually(
      () => stack.count(open),
      (n) => n === 2,
      { timeoutMs: 10_000, what: 'visibility to count 2' },
    );
    const over = await start();
    const problem = await expectProblem(over, 429, 'the third open process');
    assert.equal(problem.type, ProblemType.QuotaExceeded);
    const cancel = await requestJson(`${first.body.links.self}/cancel`, { method: 'POST', apiKey: quota });
    assert.equal(cancel.status, 202);
    await eventually(
      () => stack.count(open),
      (n) => n === 1,
      { timeoutMs: 20_000, what: 'the cancel to show' },
    );
    const third = await start();
    assert.equal(third.status, 202, JSON.stringify(third.body));
    for (const answer of [second, third])
      await requestJson(`${answer.body.links.self}/cancel`, { method: 'POST', apiKey: quota });
  });
});

describe('key management without restarts', () => {
  it('a key made with the api-key tool works, and its revocation is refused within 5 s', async () => {
    const pid = stack.api.pid;
    const made = await stack.apiKeyTool(['create', '--tenant', stack.tenant, '--scope', 'processes:read']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^lrk_[A-Za-z0-9_-]+\n$/, 'the secret alone on stdout');
    const secret = made.stdout.trim();
    const id = /created (\S+) for tenant/.exec(made.stderr)?.[1];
    assert.ok(id, made.stderr);
    await untilAccepted(secret);
    const listed = await stack.apiKeyTool(['list', '--json']);
    const record = (JSON.parse(listed.stdout) as { id: string; scopes: string[] }[]).find((k) => k.id === id);
    assert.deepEqual(record?.scopes, ['processes:read']);
    assert.ok(!listed.stdout.includes(secret), 'list never shows a secret');

    // A browser token of the key goes with it.
    const mine = (await startProcess(stack.api.url, long)).body.id;
    const token = await requestJson<{ token: string }>(`${stack.api.url}/processes/${mine}/access-tokens`, {
      method: 'POST',
      apiKey: secret,
    });
    assert.equal(token.status, 201);

    const revoked = await stack.apiKeyTool(['revoke', id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const began = Date.now();
    await eventually(
      () => requestJson(`${stack.api.url}/processes?limit=1`, { apiKey: secret }),
      (answer) => answer.status === 401,
      { timeoutMs: 5000, intervalMs: 100, what: 'the revoked key to be refused' },
    );
    const tookMs = Date.now() - began;
    assert.ok(tookMs <= 5000, `refused after ${tookMs} ms`);
    await expectProblem(
      await requestJson(`${stack.api.url}/processes/${mine}`, { apiKey: token.body.token }),
      401,
      "the revoked key's browser token",
    );
    assert.equal(stack.api.pid, pid, 'the same API process');
    assert.ok(stack.api.alive());
  });
});

describe('webhook secrets per tenant', () => {
  it("each tenant's deliveries verify with its own secret, never with another tenant's", async () => {
    const keyB = await stack.createKey({ tenant: 'hooks-b' });
    const rotated = await stack.apiKeyTool(['webhook-secret', 'rotate', '--tenant', 'hooks-b']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const secretB = rotated.stdout.trim();
    assert.match(secretB, /^whsec_/);
    assert.notEqual(secretB, stack.webhookSecret);
    await untilAccepted(keyB);

    const receiverA = new WebhookReceiver(stack.webhookSecret);
    const receiverB = new WebhookReceiver(secretB);
    receivers.push(receiverA, receiverB);
    const body = (url: string) => ({ kind: 'delay', input: { seconds: 0.2, steps: 1 }, callback: { url } });
    const urlA = await receiverA.listen();
    const urlB = await receiverB.listen();
    const startedA = await startProcess(stack.api.url, body(urlA));
    // The API sees B's new secret within a few seconds (until then B's callbacks are refused).
    const startedB = await eventually(
      () => requestJson(`${stack.api.url}/processes`, { ...jsonRequest(body(urlB)), apiKey: keyB }),
      (answer) => answer.status === 202,
      { timeoutMs: 10_000, intervalMs: 200, what: "B's callback accepted" },
    );
    assert.equal(startedA.status, 202);
    await pollUntilEnded(startedA.body.links.self);
    const [deliveryA] = await receiverA.waitFor(1);
    const [deliveryB] = await receiverB.waitFor(1);
    assert.equal(deliveryA!.payload.data.id, startedA.body.id);
    assert.equal(deliveryB!.payload.data.id, startedB.body.id);
    assert.ok(deliveryA!.verified, "A's delivery verifies with A's secret");
    assert.ok(deliveryB!.verified, "B's delivery verifies with B's secret");
    const verifies = (secret: string, delivery: typeof deliveryA) => {
      try {
        new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(verifies(secretB, deliveryA), false, "A's delivery does not verify with B's secret");
    assert.equal(
      verifies(stack.webhookSecret, deliveryB),
      false,
      "B's delivery does not verify with A's secret",
    );
  });
});
