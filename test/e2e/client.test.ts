/**
 * The typed client (`longrun/client`) end to end against the test stack: every method, list
 * pagination across three pages, the event iterator across an API restart, start's safe retry
 * after a lost answer, refusals as LongrunProblemError, and webhook verification.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../scripts/launcher.js';
import {
  createLongrunClient,
  LongrunProblemError,
  WebhookVerificationError,
  type LongrunClient,
} from '../../src/client/index.js';
import { WebhookReceiver } from '../support/receivers.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let client: LongrunClient;

before(async () => {
  stack = await startStack({ api: { eventsKeepAliveMs: 1000 } });
  client = createLongrunClient({ baseUrl: stack.api.url, apiKey: stack.apiKey });
});
after(async () => {
  await stack?.stop();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('the typed client', () => {
  it('starts, gets and waits for a process; start with wait answers once it ended', async () => {
    const started = await client.start('delay', { seconds: 1, steps: 2 });
    assert.equal(started.kind, 'delay');
    assert.ok(['queued', 'running'].includes(started.status));
    assert.equal((await client.get(started.id)).id, started.id);
    const ended = await client.wait(started.id);
    assert.equal(ended.status, 'succeeded');
    assert.deepEqual(ended.result, { seconds: 1, steps: 2, resumedAfterStep: 0, attempt: 1 });

    const waited = await client.start('delay', { seconds: 0.5, steps: 1 }, { wait: 30 });
    assert.equal(waited.status, 'succeeded');
  });

  it('wait gives up after timeoutSeconds with the process as it is', async () => {
    const started = await client.start('delay', { seconds: 30, steps: 30 });
    const t0 = Date.now();
    const current = await client.wait(started.id, { timeoutSeconds: 1 });
    assert.ok(['queued', 'running'].includes(current.status));
    assert.ok(Date.now() - t0 >= 900, 'waited on the server');
    await client.cancel(started.id);
  });

  it('cancels; a second cancel of the ended process is refused with the problem', async () => {
    const started = await client.start('delay', { seconds: 30, steps: 30 });
    const requested = await client.cancel(started.id);
    assert.equal(requested.cancelRequested, true);
    assert.equal((await client.wait(started.id, { timeoutSeconds: 30 })).status, 'canceled');
    const refused = await client.cancel(started.id).catch((err: unknown) => err);
    assert.ok(refused instanceof LongrunProblemError);
    assert.equal(refused.status, 409);
    assert.equal(refused.problem.status, 409);
  });

  it('throws LongrunProblemError carrying the problem on every refusal', async () => {
    const invalid = await client.start('delay', { seconds: -1 }).catch((err: unknown) => err);
    assert.ok(invalid instanceof LongrunProblemError);
    assert.equal(invalid.status, 400);
    assert.deepEqual(
      invalid.problem.errors?.map((e) => ('pointer' in e ? e.pointer : undefined)),
      ['/input/seconds'],
    );
    const missing = await client.get(randomUUID()).catch((err: unknown) => err);
    assert.ok(missing instanceof LongrunProblemError);
    assert.equal(missing.status, 404);
  });

  it('start retries a lost answer with the same idempotency key: one process, not two', async () => {
    const key = randomUUID();
    let calls = 0;
    const flaky = createLongrunClient({
      baseUrl: stack.api.url,
      apiKey: stack.apiKey,
      // The first request reaches the server, but its answer is lost on the way back.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (++calls === 1) throw new TypeError('fetch failed');
        return response;
      },
    });
    const started = await flaky.start('delay', { seconds: 0.5, steps: 1 }, { idempotencyKey: key });
    assert.equal(calls, 2);
    const again = await client.start('delay', { seconds: 0.5, steps: 1 }, { idempotencyKey: key });
    assert.equal(again.id, started.id, 'the same key and body name the same process');
    // Without a key of its own, start makes one, so its retry is safe too.
    calls = 0;
    const keyless = await flaky.start('delay', { seconds: 0.5, steps: 2 });
    assert.equal(calls, 2);
    assert.notEqual(keyless.id, started.id);
  });

  it('lists every page: seven processes in pages of three', async () => {
    // An API whose task queue no worker polls: its processes stay queued, and only they are this new.
    const api = await stack.startApi({ taskQueue: `list-${randomUUID()}` });
    const lister = createLongrunClient({ baseUrl: api.url, apiKey: stack.apiKey });
    const createdAfter = new Date(Date.now() - 1000).toISOString();
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await lister.start('delay', { seconds: 60 })).id);
    const filter = { status: 'queued', kind: 'delay', createdAfter, limit: 3 } as const;
    let pages = 0;
    const counting = createLongrunClient({
      baseUrl: api.url,
      apiKey: stack.apiKey,
      fetch: (input, init) => {
        pages++;
        return fetch(input, init);
      },
    });
    const listed = await eventually(
      async () => {
        pages = 0;
        return collect(counting.list(filter));
      },
      (items) => items.length >= 7,
      { timeoutMs: 20_000, what: 'seven processes visible' },
    );
    assert.deepEqual(new Set(listed.map((p) => p.id)), ids);
    assert.equal(pages, 3, 'three pages of at most three');
    await api.stop();
  });

  it('follows the event stream across an API restart, reconnecting with Last-Event-ID', async () => {
    const started = await client.start('delay', { seconds: 20, steps: 20 });
    const seen: { status: string; percent: number; updatedAt: string }[] = [];
    let restarted = false;
    let restartedAt = 0;
    for await (const resource of client.events(started.id)) {
      seen.push({
        status: resource.status,
        percent: resource.progress.percent,
        updatedAt: resource.updatedAt,
      });
      if (!restarted && resource.status === 'running' && resource.progress.percent > 0) {
        restarted = true;
        await stack.restartApi('kill9');
        restartedAt = seen.length;
      }
    }
    assert.ok(restarted, JSON.stringify(seen));
    assert.equal(seen.at(-1)?.status, 'succeeded');
    // Never a change twice, never backwards: the reconnect resumed after the last event seen.
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.updatedAt >= seen[i - 1]!.updatedAt, JSON.stringify(seen));
      assert.notDeepEqual(seen[i], seen[i - 1], JSON.stringify(seen));
    }
    // The new API's stream went on with progress, not only the final state.
    assert.ok(
      seen.slice(restartedAt).filter((e) => e.status === 'running').length >= 1,
      `restarted after event ${restartedAt}: ${JSON.stringify(seen)}`,
    );
    client = createLongrunClient({ baseUrl: stack.api.url, apiKey: stack.apiKey });
  });

  it('uploads and downloads an artifact, streamed', async () => {
    const bytes = randomBytes(300_000);
    const artifact = await client.uploadArtifact(bytes, { contentType: 'application/x-test' });
    assert.equal(artifact.size, bytes.length);
    const downloaded = await client.downloadArtifact(artifact.id);
    assert.equal(downloaded.contentType, 'application/x-test');
    assert.equal(downloaded.sha256, artifact.sha256);
    assert.equal(downloaded.size, bytes.length);
    const back = Buffer.from(await new Response(downloaded.body).arrayBuffer());
    assert.ok(back.equals(bytes));
    const streamed = await client.uploadArtifact(new Blob([bytes]).stream());
    assert.equal(streamed.sha256, artifact.sha256);
  });

  it('verifies the webhooks the server signs, and refuses tampered ones', async () => {
    const receiver = new WebhookReceiver(stack.webhookSecret);
    const url = await receiver.listen();
    try {
      const started = await client.start('delay', { seconds: 0.5, steps: 1 }, { callback: { url } });
      const [delivery] = await receiver.waitFor(1);
      assert.ok(delivery);
      const event = client.verifyWebhook(delivery.body, delivery.headers, stack.webhookSecret);
      assert.equal(event.type, 'process.succeeded');
      assert.equal(event.data.id, started.id);
      assert.equal(event.id, delivery.headers['webhook-id']);
      assert.throws(
        () =>
          client.verifyWebhook(
            delivery.body.replace('succeeded', 'failed'),
            delivery.headers,
            stack.webhookSecret,
          ),
        WebhookVerificationError,
      );
      const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
      assert.throws(
        () => client.verifyWebhook(delivery.body, delivery.headers, otherSecret),
        WebhookVerificationError,
      );
      assert.throws(
        () =>
          client.verifyWebhook(delivery.body, delivery.headers, stack.webhookSecret, {
            now: Date.now() + 3_600_000,
          }),
        WebhookVerificationError,
      );
    } finally {
      await receiver.close();
    }
  });
});
