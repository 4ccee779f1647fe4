/**
 * The HTTP contract end to end: HTTP → API process → Temporal dev server → worker process → back.
 * Also processes ended from outside the workflow (terminated, timed out).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { eventually } from '../../scripts/launcher.js';
import type { ProcessPage } from '../../src/contract/resources.js';
import { processStart } from '../../src/gateway/start-options.js';
import { isTerminal } from '../../src/contract/process-status.js';
import { processOrchestrator } from '../../src/workflows/index.js';
import {
  jsonRequest,
  pollProcess,
  pollUntilEnded,
  requestJson,
  startProcess,
  type JsonResponse,
} from '../support/api-client.js';
import { expectProblem } from '../support/problem.js';
import { useStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
useStack({}, (started) => {
  stack = started;
});

/** How many orchestrator workflows exist on this stack's task queue (visibility). */
async function countWorkflows(): Promise<number> {
  const { count } = await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
  return count;
}

describe('processes over HTTP', { concurrency: true }, () => {
  it('runs a delay to completion, progress rising to 100', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 5, steps: 5 } });
    assert.equal(started.status, 202);
    const location = started.headers.get('location');
    assert.ok(location, 'Location header');
    assert.equal(location, `${stack.api.url}/processes/${started.body.id}`);
    assert.match(started.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(started.body.status, 'queued');
    assert.equal(started.body.kind, 'delay');
    assert.equal(started.body.attempt, 0);
    assert.match(started.body.id, /^[0-9a-f-]{36}$/);
    assert.match(started.body.links.ui, new RegExp(`/namespaces/default/workflows/${started.body.id}/`));

    const percents: number[] = [];
    const statuses = new Set<string>();
    const final = await pollUntilEnded(location, {
      intervalMs: 150,
      onEach: (r, status) => {
        percents.push(r.progress.percent);
        statuses.add(r.status);
        if (!isTerminal(r.status)) {
          assert.equal(status, 202);
          assert.ok(r.progress.percent >= 0 && r.progress.percent <= 100);
        }
      },
    });
    assert.equal(final.status, 'succeeded');
    assert.equal(final.progress.percent, 100);
    assert.equal(final.attempt, 1);
    assert.ok(final.completedAt);
    assert.deepEqual(final.result, { seconds: 5, steps: 5, resumedAfterStep: 0, attempt: 1 });
    assert.ok(statuses.has('running'), 'seen running');
    for (let i = 1; i < percents.length; i++) {
      assert.ok(percents[i]! >= percents[i - 1]!, `progress never goes back: ${percents.join(',')}`);
    }
    const intermediate = new Set(percents.filter((p) => p > 0 && p < 100));
    assert.ok(intermediate.size >= 3, `saw intermediate progress: ${[...intermediate].join(',')}`);

    const done = await requestJson(location);
    assert.equal(done.status, 200);
    assert.equal(done.headers.get('location'), null);
  });

  it('retries: two failing attempts, then success on attempt 3', async () => {
    const started = await startProcess(stack.api.url, {
      kind: 'delay',
      input: { seconds: 0.5, steps: 2, failAttempts: 2 },
    });
    assert.equal(started.status, 202);
    const final = await pollUntilEnded(started.body.links.self);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.attempt, 3);
    assert.deepEqual(final.result, { seconds: 0.5, steps: 2, resumedAfterStep: 0, attempt: 3 });
  });

  it('a non-retryable failure fails at once with a typed error', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 1, fail: true } });
    const final = await pollUntilEnded(started.body.links.self);
    assert.equal(final.status, 'failed');
    assert.equal(final.attempt, 1, 'not retried');
    assert.equal(final.error?.type, 'RequestedFailure');
    assert.ok(final.error?.title);
    assert.match(final.error?.detail ?? '', /fail: true/);
    assert.ok(final.completedAt);
    assert.equal(final.result, undefined);
    const answer = await requestJson(started.body.links.self);
    assert.equal(answer.status, 200);
  });

  it('retries give up after the policy maximum, as a failed process', async () => {
    const started = await startProcess(stack.api.url, {
      kind: 'delay',
      input: { seconds: 0.1, steps: 1, failAttempts: 20 },
    });
    const final = await pollUntilEnded(started.body.links.self, { timeoutMs: 90_000 });
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.type, 'TransientFailure');
    assert.equal(final.attempt, 5, 'the delay kind allows 5 attempts');
  });

  it('keeps history bounded however often the runner reports', async () => {
    // 1,000 progress reports in 3 s: signals are rate-limited to about one a second.
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 3, steps: 1000 } });
    const final = await pollUntilEnded(started.body.links.self);
    assert.equal(final.status, 'succeeded');
    const history = await stack.client.workflow.getHandle(started.body.id).fetchHistory();
    const events = history.events ?? [];
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    assert.ok(signals <= 10, `at most ~1 signal a second (got ${signals})`);
    assert.ok(events.length < 80, `history stays small (got ${events.length} events)`);
  });

  it('answers 404 for unknown ids', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '..%2F..%2Fetc', 'a'.repeat(300)]) {
      await expectProblem(await requestJson(`${stack.api.url}/processes/${id}`), 404, id);
    }
  });
});

describe('ended from outside the workflow', () => {
  // The workflow never gets to record a final state: the API must answer from what the server says
  // (the gateway's `closedWithoutState`), whether or not a worker polls the process's task queue.
  const since = new Date(Date.now() - 1000).toISOString();
  const ended: string[] = [];
  /** A task queue no worker polls, with an API of its own. */
  let idle: { taskQueue: string; url: string };
  before(async () => {
    const taskQueue = `idle-${randomUUID()}`;
    idle = { taskQueue, url: (await stack.startApi({ taskQueue })).url };
  });

  /** Terminate a process through the Temporal client, as an operator would. */
  async function terminated(apiUrl: string, waitFor: 'queued' | 'running'): Promise<string> {
    const started = await startProcess(apiUrl, { kind: 'delay', input: { seconds: 60, steps: 60 } });
    await pollProcess(started.body.links.self, (r) => r.status === waitFor);
    const handle = stack.client.workflow.getHandle(started.body.id);
    await handle.terminate('e2e: an operator ended it');
    assert.equal((await handle.describe()).status.name, 'TERMINATED');
    ended.push(started.body.id);
    return started.body.id;
  }

  /** Start a process with the API's own start options plus a deadline the API never sets; wait it out. */
  async function timedOut(apiUrl: string, taskQueue: string): Promise<string> {
    const { id, startOptions } = processStart(
      stack.tenant,
      {
        kind: 'delay',
        input: { seconds: 60, steps: 60, failAttempts: 0, fail: false },
        selfUrl: (processId) => `${apiUrl}/processes/${processId}`,
      },
      { taskQueue, uiBaseUrl: stack.uiBaseUrl },
    );
    const handle = await stack.client.workflow.start(processOrchestrator, {
      ...startOptions,
      workflowExecutionTimeout: '3s',
    });
    await assert.rejects(handle.result()); // settles when the server times it out
    assert.equal((await handle.describe()).status.name, 'TIMED_OUT');
    ended.push(id);
    return id;
  }

  async function expectFailed(apiUrl: string, id: string, type: string): Promise<void> {
    const answer = await requestJson(`${apiUrl}/processes/${id}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'failed', JSON.stringify(answer.body));
    assert.equal(answer.body.error?.type, type, JSON.stringify(answer.body.error));
    assert.ok(answer.body.error?.title);
    assert.ok(answer.body.completedAt);
    assert.equal(answer.headers.get('location'), null);
  }

  it('no worker polls: terminated reads failed (Terminated), timed out failed (WorkflowTimedOut)', async () => {
    await expectFailed(idle.url, await terminated(idle.url, 'queued'), 'Terminated');
    await expectFailed(idle.url, await timedOut(idle.url, idle.taskQueue), 'WorkflowTimedOut');
  });

  // With a worker polling, the answer must still be the server's: a worker would answer the status
  // query of a closed workflow by replaying its history, ending at the state before the end.
  it('a worker polls: terminated reads failed with error.type Terminated', async () => {
    await expectFailed(stack.api.url, await terminated(stack.api.url, 'running'), 'Terminated');
  });
  it('a worker polls: timed out reads failed with error.type WorkflowTimedOut', async () => {
    await expectFailed(stack.api.url, await timedOut(stack.api.url, stack.taskQueue), 'WorkflowTimedOut');
  });

  it('all are listed under status=failed', async () => {
    assert.equal(ended.length, 4, 'the tests above ended four workflows');
    const list = async () =>
      (
        await requestJson<ProcessPage>(
          `${stack.api.url}/processes?status=failed&createdAfter=${encodeURIComponent(since)}&limit=100`,
        )
      ).body.items;
    // Visibility catches up asynchronously.
    const items = await eventually(list, (found) => ended.every((id) => found.some((i) => i.id === id)), {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: `${ended.join(', ')} under status=failed`,
    });
    for (const id of ended) {
      const item = items.find((i) => i.id === id)!;
      assert.equal(item.status, 'failed');
      assert.ok(item.completedAt);
    }
  });
});

describe('bad input', () => {
  // A small body limit keeps the oversized body within socket buffers, so the client reads the 413.
  let apiUrl: string;
  before(async () => {
    apiUrl = (await stack.startApi({ maxBodyBytes: 4096 })).url;
  });
  const post = (
    body: string | Uint8Array,
    contentType = 'application/json',
  ): Promise<JsonResponse<unknown>> =>
    requestJson(`${apiUrl}/processes`, jsonRequest(body, { 'content-type': contentType }));

  const cases: { name: string; send: () => ReturnType<typeof post>; status: number; pointer?: string }[] = [
    { name: 'malformed JSON', send: () => post('{"kind": "delay", '), status: 400 },
    {
      name: 'wrong type',
      send: () => post('{"kind":"delay","input":{"seconds":"soon"}}'),
      status: 400,
      pointer: '/input/seconds',
    },
    {
      name: 'out of range',
      send: () => post('{"kind":"delay","input":{"seconds":3601}}'),
      status: 400,
      pointer: '/input/seconds',
    },
    {
      name: 'zero seconds',
      send: () => post('{"kind":"delay","input":{"seconds":0}}'),
      status: 400,
      pointer: '/input/seconds',
    },
    {
      name: 'unknown kind',
      send: () => post('{"kind":"teleport","input":{}}'),
      status: 400,
      pointer: '/kind',
    },
    {
      name: 'unknown field',
      send: () => post('{"kind":"delay","input":{"seconds":1,"speed":2}}'),
      status: 400,
      pointer: '/input/speed',
    },
    { name: 'missing input', send: () => post('{"kind":"delay"}'), status: 400, pointer: '/input' },
    { name: 'not an object', send: () => post('[1,2,3]'), status: 400 },
    { name: 'empty body', send: () => post(''), status: 400 },
    {
      name: 'oversized body',
      send: () => post(JSON.stringify({ kind: 'delay', input: { seconds: 1, pad: 'x'.repeat(8192) } })),
      status: 413,
    },
    {
      name: 'non-JSON content type',
      send: () => post('seconds=1', 'application/x-www-form-urlencoded'),
      status: 415,
    },
    { name: 'text body', send: () => post('hello', 'text/plain'), status: 415 },
  ];

  it('each class gets a 4xx problem+json and starts no workflow', async () => {
    const before = await countWorkflows();
    for (const { name, send, status, pointer } of cases) {
      const answer = await send().catch((err: Error) =>
        assert.fail(`${name}: ${err.message} ${String(err.cause)}`),
      );
      const problem = await expectProblem(answer, status, name);
      if (pointer) {
        assert.ok(
          problem.errors?.some((e) => e.pointer === pointer),
          `${name}: ${JSON.stringify(problem.errors)}`,
        );
      }
    }
    // Visibility is eventually consistent: give it a moment before counting again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await countWorkflows(), before);
  });
});
