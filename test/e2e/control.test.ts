/**
 * Control and inspection end to end: cancel, idempotent start, wait for completion, list, and
 * the Temporal Web UI link.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort } from '../../scripts/launcher.js';
import type { ProcessPage } from '../../src/contract/resources.js';
import {
  pollProcess,
  pollUntilEnded,
  postJson,
  requestJson,
  startProcess,
  stepOf,
} from '../support/api-client.js';
import { expectProblem, type ProblemBody } from '../support/problem.js';
import { startStack, type TestStack } from '../support/stack.js';
import { historyEventTypes } from '../support/temporal.js';

let stack: TestStack;
let uiPort: number;
before(async () => {
  uiPort = await freePort();
  stack = await startStack({ uiPort });
});
after(async () => {
  await stack?.stop();
});

const post = postJson;
const eventTypes = (id: string) => historyEventTypes(stack.client, id);

describe('cancel', { concurrency: true }, () => {
  it('stops a running runner promptly; the process ends canceled', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 60, steps: 60 } });
    const url = started.body.links.self;
    await pollProcess(url, (r) => stepOf(r) >= 2, { timeoutMs: 30_000 });

    const t0 = Date.now();
    const cancel = await post(`${url}/cancel`, undefined);
    assert.equal(cancel.status, 202);
    assert.equal(cancel.body.cancelRequested, true);
    assert.equal(cancel.headers.get('location'), url);
    const again = await post(`${url}/cancel`, undefined);
    assert.equal(again.status, 202, 'repeating the cancel is harmless');

    const final = await pollUntilEnded(url, { intervalMs: 100, timeoutMs: 20_000 });
    const elapsed = Date.now() - t0;
    assert.equal(final.status, 'canceled');
    assert.equal(final.cancelRequested, true);
    assert.ok(final.completedAt);
    assert.ok(final.progress.percent < 100);
    // The runner heartbeats every second; its heartbeat timeout is 5 s.
    assert.ok(elapsed < 5000, `canceled ${elapsed} ms after the request`);
    const events = await eventTypes(started.body.id);
    assert.ok(events.includes('activityTaskCanceledEventAttributes'), 'the runner acknowledged the cancel');
    assert.ok(events.includes('workflowExecutionCanceledEventAttributes'));

    const late = await post(`${url}/cancel`, undefined);
    await expectProblem(late, 409, 'cancelling an ended process conflicts');
  });

  it('a queued process never starts its runner', async () => {
    // An API on a task queue that no worker polls yet: its processes stay queued.
    const queue = `idle-${randomUUID()}`;
    const api = await stack.startApi({ taskQueue: queue });
    const started = await startProcess(api.url, { kind: 'delay', input: { seconds: 5 } });
    const cancel = await post(`${api.url}/processes/${started.body.id}/cancel`, undefined);
    assert.equal(cancel.status, 202);
    assert.equal(cancel.body.status, 'queued');
    assert.equal(cancel.body.cancelRequested, true);

    await stack.startWorker({ TASK_QUEUE: queue });
    const final = await pollUntilEnded(`${api.url}/processes/${started.body.id}`, {
      timeoutMs: 30_000,
    });
    assert.equal(final.status, 'canceled');
    assert.equal(final.attempt, 0, 'no runner attempt');
    const events = await eventTypes(started.body.id);
    assert.ok(
      !events.includes('activityTaskStartedEventAttributes'),
      `runner never started: ${events.join(', ')}`,
    );
  });

  it('answers 409 for an ended process and 404 for an unknown one', async () => {
    const done = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 0.2, steps: 1 } },
      { prefer: 'wait=30' },
    );
    assert.equal(done.body.status, 'succeeded');
    const conflict = await post(`${done.body.links.self}/cancel`, undefined);
    await expectProblem(conflict, 409);
    const unknown = await post(`${stack.api.url}/processes/${randomUUID()}/cancel`, undefined);
    await expectProblem(unknown, 404);
  });
});

describe('idempotent start', { concurrency: true }, () => {
  const countWithId = async (id: string) => (await stack.client.workflow.count(`WorkflowId = '${id}'`)).count;

  it('same key and body: the same process, sequentially', async () => {
    const key = randomUUID();
    const body = { kind: 'delay', input: { seconds: 1, steps: 2 } };
    const first = await post(`${stack.api.url}/processes`, body, { 'idempotency-key': key });
    const second = await post(`${stack.api.url}/processes`, body, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    assert.ok(second.status === 202 || second.status === 200);
    assert.equal(second.body.id, first.body.id);
    // Key order and defaults do not make a different request.
    const reordered = await post(
      `${stack.api.url}/processes`,
      { input: { steps: 2, seconds: 1, fail: false }, kind: 'delay' },
      { 'idempotency-key': key },
    );
    assert.equal(reordered.body.id, first.body.id);
    // Still the same process once it has ended.
    await pollUntilEnded(first.body.links.self);
    const afterEnd = await post(`${stack.api.url}/processes`, body, { 'idempotency-key': key });
    assert.equal(afterEnd.status, 200);
    assert.equal(afterEnd.body.id, first.body.id);
    assert.equal(afterEnd.body.status, 'succeeded');
    assert.equal(await countWithId(first.body.id), 1);
  });

  it('10 simultaneous identical POSTs make exactly one process', async () => {
    const key = `concurrent-${randomUUID()}`;
    const body = { kind: 'delay', input: { seconds: 2 } };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(`${stack.api.url}/processes`, body, { 'idempotency-key': key })),
    );
    // 202 while it runs; a duplicate slowed down past its end rightly gets the ended process (200).
    for (const answer of answers) assert.ok([200, 202].includes(answer.status), JSON.stringify(answer.body));
    const ids = new Set(answers.map((a) => a.body.id));
    assert.equal(ids.size, 1);
    assert.equal(await countWithId([...ids][0]!), 1);
  });

  it('same key, different body: 422 naming the conflict, nothing started', async () => {
    const key = randomUUID();
    const first = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 1 } },
      { 'idempotency-key': key },
    );
    const conflict = await expectProblem(
      await postJson<ProblemBody>(
        `${stack.api.url}/processes`,
        { kind: 'delay', input: { seconds: 2 } },
        { 'idempotency-key': key },
      ),
      422,
    );
    assert.match(conflict.detail ?? '', new RegExp(first.body.id));
    assert.equal(conflict.errors?.[0]?.header, 'idempotency-key');
    assert.equal(await countWithId(first.body.id), 1);
  });

  it('refuses a malformed key', async () => {
    const answer = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 1 } },
      { 'idempotency-key': 'a b' },
    );
    await expectProblem(answer, 400);
  });
});

describe('wait for completion (Prefer: wait)', { concurrency: true }, () => {
  it('POST returns 200 as soon as the process ends', async () => {
    const t0 = Date.now();
    const answer = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 1, steps: 2 } },
      { prefer: 'wait=20' },
    );
    const elapsed = Date.now() - t0;
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('preference-applied'), 'wait=20');
    assert.equal(answer.body.status, 'succeeded');
    assert.ok(elapsed < 10_000, `answered after ${elapsed} ms, not after the full wait`);
  });

  it('POST returns 202 when the wait runs out first', async () => {
    const t0 = Date.now();
    const answer = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 10 } },
      { prefer: 'wait=1' },
    );
    const elapsed = Date.now() - t0;
    assert.equal(answer.status, 202);
    assert.equal(answer.headers.get('preference-applied'), 'wait=1');
    assert.ok(answer.headers.get('location'));
    assert.ok(elapsed >= 900 && elapsed < 5000, `waited ${elapsed} ms`);
  });

  it('GET waits too, and concurrent waiters of one process all get the end', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 2, steps: 2 } });
    const short = await requestJson(started.body.links.self, { headers: { prefer: 'wait=1' } });
    assert.equal(short.status, 202);
    assert.equal(short.headers.get('preference-applied'), 'wait=1');
    const waiters = await Promise.all(
      Array.from({ length: 20 }, () =>
        requestJson(started.body.links.self, { headers: { prefer: 'wait=30' } }),
      ),
    );
    for (const answer of waiters) {
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'succeeded');
    }
  });

  it('a failed process ends the wait with its error', async () => {
    const answer = await post(
      `${stack.api.url}/processes`,
      { kind: 'delay', input: { seconds: 1, fail: true } },
      { prefer: 'wait=20' },
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.error?.type, 'RequestedFailure');
  });
});

describe('list', () => {
  it('filters, pages newest first and rejects bad filters', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const answer = await post(
        `${stack.api.url}/processes`,
        { kind: 'delay', input: { seconds: 0.1, steps: 1 } },
        { prefer: 'wait=20' },
      );
      assert.equal(answer.body.status, 'succeeded');
      created.push(answer.body.id);
    }
    const list = (query: string) => requestJson<ProcessPage>(`${stack.api.url}/processes?${query}`);
    const base = `createdAfter=${encodeURIComponent(since)}&status=succeeded&kind=delay`;

    // Visibility catches up asynchronously.
    await eventually(
      () => list(`${base}&limit=100`),
      (page) => page.body.items.length >= created.length,
      { timeoutMs: 15_000, intervalMs: 200, what: `visibility to list ${created.length} processes` },
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`${base}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.items.length <= 3);
      for (const item of page.body.items) {
        assert.equal(item.status, 'succeeded');
        assert.equal(item.kind, 'delay');
        assert.ok(item.links.self.endsWith(`/processes/${item.id}`));
        assert.ok(item.completedAt);
        seen.push(item.id);
      }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.ok(pages >= 3, `paged ${pages} times`);
    assert.deepEqual([...seen].sort(), [...created].sort(), 'every process once, none twice');
    // Ended processes come most recently ended first: here that is newest first.
    assert.deepEqual(seen, [...created].reverse());

    // Other filters narrow it down.
    const running = await list(`createdAfter=${encodeURIComponent(since)}&status=running`);
    assert.ok(running.body.items.every((item) => item.status === 'running' && !created.includes(item.id)));
    const before = await list(`createdBefore=${encodeURIComponent(since)}&status=succeeded`);
    assert.ok(before.body.items.every((item) => !created.includes(item.id)));

    for (const bad of [
      'status=bogus',
      'kind=teleport',
      'limit=0',
      'limit=1000',
      'limit=ten',
      'createdAfter=yesterday',
      'colour=blue',
    ]) {
      await expectProblem(await list(bad), 400, bad);
    }
    // A string the schema allows but no cursor this API issued: unprocessable, not malformed.
    const notACursor = await expectProblem(await list('cursor=not-a-cursor'), 422);
    assert.deepEqual(
      notACursor.errors?.map((e) => e.parameter),
      ['cursor'],
    );
    // A cursor is bound to its query.
    const first = await list(`${base}&limit=3`);
    assert.ok(first.body.nextCursor);
    const mismatched = await list(
      `status=failed&limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    await expectProblem(mismatched, 422);
  });
});

describe('Temporal Web UI', () => {
  it('links.ui resolves and the UI API returns the workflow', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 3, steps: 3 } });
    const id = started.body.id;
    const ui = new URL(started.body.links.ui);
    assert.equal(ui.origin, `http://localhost:${uiPort}`);
    assert.ok(ui.pathname.startsWith(`/namespaces/default/workflows/${id}/`));

    const page = await fetch(ui);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    await page.text();

    await pollProcess(started.body.links.self, (r) => r.status === 'running' && r.progress.percent > 0);
    const described = await requestJson<{
      workflowExecutionInfo: {
        execution: { workflowId: string };
        searchAttributes: { indexedFields: Record<string, unknown> };
      };
    }>(`http://localhost:${uiPort}/api/v1/namespaces/default/workflows/${id}`);
    assert.equal(described.status, 200);
    assert.equal(described.body.workflowExecutionInfo.execution.workflowId, id);
    const attributes = Object.keys(described.body.workflowExecutionInfo.searchAttributes.indexedFields);
    assert.ok(
      attributes.includes('LongrunKind') && attributes.includes('LongrunStatus'),
      attributes.join(','),
    );

    // What the UI shows: the static summary and the live "current details".
    const handle = stack.client.workflow.getHandle(id);
    const description = await handle.describe();
    assert.equal(await description.staticSummary(), 'delay · 3s in 3 steps');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /running/);
  });
});
