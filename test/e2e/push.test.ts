/**
 * Push end to end: signed webhooks to a real local receiver (verified with the
 * `standardwebhooks` library) and live Server-Sent Events streams.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { freePort } from '../../scripts/launcher.js';
import type { ProcessResource } from '../../src/contract/resources.js';
import {
  authHeaders,
  cancelProcess,
  pollProcess,
  pollUntilEnded,
  startProcess,
  type JsonResponse,
} from '../support/api-client.js';
import { startInProcessApi } from '../support/in-process-api.js';
import { expectProblem } from '../support/problem.js';
import {
  compareEventIds,
  openEventStream,
  waitForStream,
  WebhookReceiver,
  type SseStream,
} from '../support/receivers.js';
import { useStack, type TestStack } from '../support/stack.js';

const receivers: WebhookReceiver[] = [];
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});
let stack: TestStack;
useStack({}, (started) => {
  stack = started;
});

function receiver(answers: number[] = []): WebhookReceiver {
  const created = new WebhookReceiver(stack.webhookSecret, answers);
  receivers.push(created);
  return created;
}

const start = (body: unknown): Promise<JsonResponse> => startProcess(stack.api.url, body);

describe('webhooks', { concurrency: true }, () => {
  it('retries after two 500s with the same webhook-id, every delivery signed', async () => {
    const hooks = receiver([500, 500]);
    const url = await hooks.listen();
    const started = await start({ kind: 'delay', input: { seconds: 0.5, steps: 1 }, callback: { url } });
    assert.equal(started.status, 202);
    assert.deepEqual(started.body.callback, {
      url,
      events: ['process.succeeded', 'process.failed', 'process.canceled'],
    });

    // The process ends at once: delivery never holds it back.
    const ended = await pollUntilEnded(started.body.links.self);
    assert.equal(ended.status, 'succeeded');

    const deliveries = await hooks.waitFor(3);
    assert.deepEqual(
      deliveries.map((d) => d.answeredWith),
      [500, 500, 204],
    );
    for (const delivery of deliveries) {
      assert.ok(delivery.verified, 'standardwebhooks verified the signature');
      assert.match(String(delivery.headers['webhook-signature']), /^v1,/);
      assert.equal(delivery.payload.type, 'process.succeeded');
      assert.equal(delivery.payload.data.id, started.body.id);
      assert.equal(delivery.payload.data.status, 'succeeded');
    }
    const ids = new Set(deliveries.map((d) => d.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one event, one webhook-id across retries');
    assert.ok(deliveries[1]!.at - deliveries[0]!.at >= 400, 'backed off between attempts');

    const shown = await pollProcess(
      started.body.links.self,
      (r) => r.deliveries?.[0]?.status === 'delivered',
    );
    const [delivery] = shown.deliveries!;
    assert.equal(delivery!.attempts, 3);
    assert.equal(delivery!.eventId, deliveries[0]!.headers['webhook-id']);
    assert.match(delivery!.lastError ?? '', /500/);
    assert.ok(delivery!.deliveredAt);
  });

  it('delivers once the receiver comes up after the process ended', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks`;
    const started = await start({ kind: 'delay', input: { seconds: 0.3, steps: 1 }, callback: { url } });
    await pollUntilEnded(started.body.links.self);
    // While the receiver is down, the failed attempts show in the resource.
    const failing = await pollProcess(
      started.body.links.self,
      (r) => (r.deliveries?.[0]?.attempts ?? 0) >= 1,
    );
    assert.equal(failing.deliveries?.[0]?.status, 'pending');
    assert.ok(failing.deliveries?.[0]?.lastError);

    const hooks = receiver();
    await hooks.listen(port);
    const [delivery] = await hooks.waitFor(1, 30_000);
    assert.ok(delivery!.verified);
    assert.equal(delivery!.payload.data.id, started.body.id);
    const shown = await pollProcess(
      started.body.links.self,
      (r) => r.deliveries?.[0]?.status === 'delivered',
    );
    assert.ok((shown.deliveries?.[0]?.attempts ?? 0) >= 2);
  });

  it('stops retrying on 410 Gone', async () => {
    const hooks = receiver([410]);
    const url = await hooks.listen();
    const started = await start({ kind: 'delay', input: { seconds: 0.2, steps: 1 }, callback: { url } });
    const shown = await pollProcess(started.body.links.self, (r) => r.deliveries?.[0]?.status === 'failed', {
      timeoutMs: 30_000,
    });
    assert.equal(shown.status, 'succeeded', 'a failed delivery never fails the process');
    assert.equal(shown.deliveries?.[0]?.attempts, 1);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(hooks.deliveries.length, 1, 'no retry after 410');
  });

  it('sends status changes when asked, and the canceled event', async () => {
    const hooks = receiver();
    const url = await hooks.listen();
    const started = await start({
      kind: 'delay',
      input: { seconds: 30, steps: 30 },
      callback: { url, events: ['process.running', 'process.canceled'] },
    });
    await hooks.waitFor(1);
    await cancelProcess(started.body.links.self);
    const deliveries = await hooks.waitFor(2);
    assert.deepEqual(
      deliveries.map((d) => d.payload.type),
      ['process.running', 'process.canceled'],
    );
    assert.ok(deliveries.every((d) => d.verified));
    assert.equal(deliveries[1]!.payload.data.status, 'canceled');
  });

  it('refuses bad callback URLs (400 malformed, 422 refused by policy) and starts nothing', async () => {
    // Its own task queue, so that the other tests' processes do not count.
    const queue = `refused-${randomUUID()}`;
    const api = await stack.startApi({ taskQueue: queue });
    const start = (body: unknown) => startProcess(api.url, body);
    const count = async () => (await stack.client.workflow.count(`TaskQueue = '${queue}'`)).count;
    const before = await count();
    for (const [url, status] of [
      ['ftp://example.com/hook', 400],
      ['not a url', 400],
      // Well-formed URLs the callback policy refuses, or whose host does not resolve.
      ['http://169.254.169.254/latest/meta-data', 422],
      ['http://[fe80::1]/hook', 422],
      ['http://[::ffff:169.254.169.254]/hook', 422],
      ['http://metadata.google.internal/hook', 422],
      [`http://${randomUUID()}.invalid/hook`, 422],
    ] as const) {
      const answer = await start({ kind: 'delay', input: { seconds: 1 }, callback: { url } });
      const problem = await expectProblem(answer, status, url);
      assert.ok(
        problem.errors?.some((e) => e.pointer === '/callback/url'),
        `${url}: ${JSON.stringify(problem)}`,
      );
    }
    const unknownEvent = await start({
      kind: 'delay',
      input: { seconds: 1 },
      callback: { url: 'http://127.0.0.1:1/', events: ['process.exploded'] },
    });
    await expectProblem(unknownEvent, 400);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await count(), before);
    // The same request with an acceptable URL does start one: the refusals were about the URL.
    assert.equal(
      (await start({ kind: 'delay', input: { seconds: 1 }, callback: { url: 'http://127.0.0.1:1/' } }))
        .status,
      202,
    );
    await api.stop();
  });
});

describe('live event stream', { concurrency: true }, () => {
  const parse = (data: string) => JSON.parse(data) as ProcessResource;
  const idsOf = (stream: SseStream) => stream.events.map((e) => e.id!);
  const increasing = (ids: string[]) => ids.every((id, i) => i === 0 || compareEventIds(ids[i - 1]!, id) < 0);

  it('sends progress in order and ends with the terminal event', async () => {
    const started = await start({ kind: 'delay', input: { seconds: 3, steps: 3 } });
    const stream = await openEventStream(`${started.body.links.self}/events`);
    assert.equal(stream.status, 200);
    assert.match(stream.contentType ?? '', /^text\/event-stream/);
    await stream.closed;
    const resources = stream.events.map((e) => parse(e.data));
    assert.ok(resources.length >= 3, `got ${resources.length} events`);
    assert.ok(increasing(idsOf(stream)), `ids increase: ${idsOf(stream).join(',')}`);
    const percents = resources.map((r) => r.progress.percent);
    for (let i = 1; i < percents.length; i++) assert.ok(percents[i]! >= percents[i - 1]!, percents.join(','));
    assert.equal(resources.at(-1)!.status, 'succeeded');
    assert.equal(stream.events.at(-1)!.event, 'status');
    assert.ok(resources.some((r) => r.status === 'running'));
  });

  it('a reconnect with Last-Event-ID misses nothing', async () => {
    const started = await start({ kind: 'delay', input: { seconds: 4, steps: 4 } });
    const url = `${started.body.links.self}/events`;
    const first = await openEventStream(url);
    await waitForStream(first, (s) => s.events.length >= 2, 'two events');
    first.abort();
    await first.closed;
    const lastId = first.events.at(-1)!.id!;
    const lastSeen = parse(first.events.at(-1)!.data);

    // Something happens while disconnected.
    await pollProcess(started.body.links.self, (r) => r.progress.percent > lastSeen.progress.percent);
    const second = await openEventStream(url, { 'last-event-id': lastId });
    await second.closed;
    assert.ok(second.events.length >= 1);
    assert.ok(
      second.events.every((e) => compareEventIds(e.id!, lastId) > 0),
      `only newer events than ${lastId}: ${idsOf(second).join(',')}`,
    );
    const resumed = second.events.map((e) => parse(e.data));
    assert.ok(resumed[0]!.progress.percent > lastSeen.progress.percent, 'the change while disconnected');
    assert.equal(resumed.at(-1)!.status, 'succeeded', 'the stream still ends with the terminal event');
  });

  it('Last-Event-ID: nothing is sent again while nothing changed; an older id gets the current state', async () => {
    // Attempt 1 fails at once and attempt 2 starts a second later (two states to follow), then
    // one step of 60 s: the process does not change for a minute.
    const api = await stack.startApi({ eventsKeepAliveMs: 1000 });
    const started = await startProcess(api.url, {
      kind: 'delay',
      input: { seconds: 120, steps: 2, failAttempts: 1 },
    });
    const url = `${api.url}/processes/${started.body.id}/events`;
    try {
      // Follow it until attempt 2 runs and has been quiet for two keep-alives: its current state is the last event.
      const follower = await openEventStream(url);
      await waitForStream(
        follower,
        (s) => s.events.some((e) => parse(e.data).attempt === 2),
        'attempt 2 running',
      );
      let quietSince = follower.events.length;
      let comments = follower.comments;
      await waitForStream(
        follower,
        (s) => {
          if (s.events.length !== quietSince) [quietSince, comments] = [s.events.length, s.comments];
          return s.comments >= comments + 2;
        },
        'two keep-alives without an event',
      );
      assert.ok(follower.events.length >= 2, `several events: ${idsOf(follower).join(',')}`);
      assert.ok(increasing(idsOf(follower)), `ids increase: ${idsOf(follower).join(',')}`);
      const current = follower.events.at(-1)!;
      const older = follower.events[0]!;

      // The current id: the server has nothing newer, so it sends nothing (two keep-alives prove it went idle).
      const upToDate = await openEventStream(url, { 'last-event-id': current.id! });
      await waitForStream(upToDate, (s) => s.comments >= 2, 'two keep-alives');
      upToDate.abort();
      await upToDate.closed;
      const changed = follower.events.slice(follower.events.indexOf(current) + 1);
      assert.deepEqual(
        idsOf(upToDate),
        changed.map((e) => e.id),
        `with Last-Event-ID ${current.id}, only what changed since (follower saw ${idsOf(follower).join(',')})`,
      );

      // An older id: the current state comes at once, with its own id.
      const behind = await openEventStream(url, { 'last-event-id': older.id! });
      await waitForStream(behind, (s) => s.events.length >= 1, 'the current state');
      behind.abort();
      await behind.closed;
      const [first] = behind.events;
      assert.equal(first!.id, follower.events.at(-1)!.id, 'the current state, under its own id');
      assert.deepEqual(parse(first!.data), parse(follower.events.at(-1)!.data));
      assert.equal(parse(first!.data).status, 'running');
      assert.equal(parse(first!.data).attempt, 2);
      follower.abort();
      await follower.closed;
    } finally {
      await cancelProcess(`${api.url}/processes/${started.body.id}`);
      await api.stop();
    }
  });

  it('50 concurrent subscribers all get the terminal event, over one shared watch', async () => {
    // The API in this process, so that its Temporal client can be watched.
    const api = await startInProcessApi(stack);
    try {
      const started = await startProcess(api.url, { kind: 'delay', input: { seconds: 2, steps: 2 } });
      // Count the reads (describe calls) the API makes of this process while 50 clients follow it.
      const service = api.client.workflowService;
      const describe = service.describeWorkflowExecution.bind(service);
      let reads = 0;
      service.describeWorkflowExecution = ((request: Parameters<typeof describe>[0]) => {
        if (request.execution?.workflowId === started.body.id) reads++;
        return describe(request);
      }) as typeof service.describeWorkflowExecution;
      const t0 = Date.now();
      const streams = await Promise.all(
        Array.from({ length: 50 }, () => openEventStream(`${api.url}/processes/${started.body.id}/events`)),
      );
      await Promise.all(streams.map((s) => s.closed));
      // One watch reads every 200 ms here; 50 separate loops would make 50 times as many reads.
      const oneWatch = (Date.now() - t0) / 200 + 55;
      assert.ok(reads > 0, 'the count sees the reads');
      assert.ok(
        reads <= oneWatch,
        `${reads} reads for 50 followers (one shared watch: about ${Math.round(oneWatch - 55)})`,
      );
      for (const stream of streams) {
        assert.equal(stream.status, 200);
        assert.equal(parse(stream.events.at(-1)!.data).status, 'succeeded');
      }
    } finally {
      await api.close();
    }
  });

  it('sends keep-alive comments while nothing changes', async () => {
    // A task queue no worker polls: the process stays queued.
    const idle = await stack.startApi({ taskQueue: `idle-${randomUUID()}`, eventsKeepAliveMs: 1000 });
    try {
      const started = await startProcess(idle.url, { kind: 'delay', input: { seconds: 1 } });
      const stream = await openEventStream(`${idle.url}/processes/${started.body.id}/events`);
      await waitForStream(stream, (s) => s.comments >= 2, 'two keep-alives');
      stream.abort();
      await stream.closed;
      assert.equal(stream.events.length, 1, 'the queued state, then nothing');
      assert.equal(parse(stream.events[0]!.data).status, 'queued');
      assert.ok(stream.comments >= 2, `saw ${stream.comments} keep-alives`);
      await cancelProcess(`${idle.url}/processes/${started.body.id}`);
    } finally {
      await idle.stop();
    }
  });

  it('answers 404 problem+json for an unknown process', async () => {
    await expectProblem(
      await fetch(`${stack.api.url}/processes/${randomUUID()}/events`, { headers: authHeaders() }),
      404,
    );
  });
});
