/**
 * The kinds as Nexus operations end to end: a caller workflow in the `callers` namespace (its own
 * worker, here) → the `longrun` endpoint → longrun's worker (child process) starting the
 * orchestrator → the runner, and back; the same process read over HTTP from the API (child process).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../scripts/launcher.js';
import type { ProcessPage } from '../../src/contract/resources.js';
import type { KindName } from '../../src/kinds/index.js';
import { authHeaders, pollProcess, requestJson, stepOf } from '../support/api-client.js';
import { startNexusCaller, type NexusCaller } from '../support/nexus-caller.js';
import type { CallOutcome } from '../support/nexus-caller-workflows.js';
import { startStack, type TestStack } from '../support/stack.js';
import { historyEventTypes, pendingRunner } from '../support/temporal.js';

let stack: TestStack;
let caller: NexusCaller;
before(async () => {
  stack = await startStack();
  caller = await startNexusCaller(stack);
});
after(async () => {
  await caller?.stop();
  await stack?.stop();
});

const call = (kind: KindName, input: unknown) => caller.call(kind, input);
const processIdOf = (callerWorkflowId: string) => caller.processIdOf(callerWorkflowId);

const processUrl = (id: string) => `${stack.api.url}/processes/${id}`;

async function upload(data: Uint8Array): Promise<string> {
  const answer = await requestJson<{ id: string }>(`${stack.api.url}/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.id;
}

async function downloadSha256(id: string): Promise<string> {
  const response = await fetch(`${stack.api.url}/artifacts/${id}`, { headers: authHeaders() });
  assert.equal(response.status, 200);
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

const outputOf = (outcome: CallOutcome): unknown => {
  assert.ok(outcome.ok, `the operation failed: ${JSON.stringify(outcome)}`);
  return outcome.output;
};

describe('kinds as Nexus operations', { concurrency: true }, () => {
  it('delay runs to its result; the same process is read over HTTP and listed', async () => {
    const { outcome, caller: callerId } = await call('delay', { seconds: 1, steps: 2 });
    const output = outputOf(outcome);
    assert.deepEqual(output, { seconds: 1, steps: 2, resumedAfterStep: 0, attempt: 1 });

    const id = await processIdOf(callerId);
    const read = await requestJson(processUrl(id));
    assert.equal(read.status, 200);
    assert.equal(read.body.id, id);
    assert.equal(read.body.kind, 'delay');
    assert.equal(read.body.status, 'succeeded');
    assert.deepEqual(read.body.result, output, 'one process, two faces: the same result over HTTP');
    assert.match(read.body.links.ui ?? '', new RegExp(`/namespaces/default/workflows/${id}`));

    const description = await stack.client.workflow.getHandle(id).describe();
    assert.equal(description.type, 'processOrchestrator');
    assert.equal(description.taskQueue, stack.taskQueue);

    const listed = await eventually(
      () => requestJson<ProcessPage>(`${stack.api.url}/processes?kind=delay&status=succeeded&limit=100`),
      (page) => page.body.items.some((item) => item.id === id),
      { timeoutMs: 15_000, what: 'the list to include the Nexus-started process' },
    );
    assert.equal(listed.status, 200);
  });

  it('encrypt and decrypt run on an uploaded artifact to their results', async () => {
    const original = randomBytes(300 * 1024);
    const artifactId = await upload(original);

    const encrypted = await call('encrypt', { artifactId });
    const sealed = outputOf(encrypted.outcome) as { artifactId: string; size: number; sha256: string };
    assert.notEqual(sealed.artifactId, artifactId);
    assert.ok(sealed.size > original.length, 'the encrypted artifact carries a header and tags');
    assert.equal(await downloadSha256(sealed.artifactId), sealed.sha256);
    const id = await processIdOf(encrypted.caller);
    const read = await requestJson(processUrl(id));
    assert.equal(read.body.kind, 'encrypt');
    assert.equal(read.body.status, 'succeeded');
    assert.deepEqual(read.body.result, sealed);

    const decrypted = await call('decrypt', { artifactId: sealed.artifactId });
    const opened = outputOf(decrypted.outcome) as { artifactId: string; size: number; sha256: string };
    assert.equal(opened.size, original.length);
    assert.equal(opened.sha256, createHash('sha256').update(original).digest('hex'));
    assert.equal(await downloadSha256(opened.artifactId), opened.sha256);
  });

  it('a cancel from the caller reaches the runner; the process ends canceled', async () => {
    const handle = await caller.start('delay', { seconds: 60, steps: 60 });
    const id = await processIdOf(handle.workflowId);
    await pollProcess(processUrl(id), (r) => stepOf(r) >= 1, { timeoutMs: 30_000 });

    await handle.cancel();
    const outcome = await handle.result();
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.deepEqual(
      outcome.failure.map((link) => link.name),
      ['NexusOperationFailure', 'CancelledFailure'],
      JSON.stringify(outcome.failure),
    );

    // The caller waited for the cancel to complete: by now the runner has stopped.
    const read = await requestJson(processUrl(id));
    assert.equal(read.body.status, 'canceled');
    assert.equal(read.body.cancelRequested, true);
    assert.ok(read.body.progress.percent < 100);
    const events = await historyEventTypes(stack.client, id);
    assert.ok(events.includes('activityTaskCanceledEventAttributes'), 'the runner acknowledged the cancel');
    assert.ok(events.includes('workflowExecutionCanceledEventAttributes'));
    assert.equal(await pendingRunner(stack.client, id), undefined);
  });

  it('a failed process fails the operation with its error type', async () => {
    const { outcome, caller: callerId } = await call('delay', { seconds: 0.2, steps: 1, fail: true });
    assert.ok(!outcome.ok, 'the operation failed');
    // The operation's cause is the process's failure (whose own cause is the runner's).
    const names = outcome.failure.slice(0, 2).map((link) => link.name);
    assert.deepEqual(names, ['NexusOperationFailure', 'ApplicationFailure'], JSON.stringify(outcome.failure));
    assert.equal(outcome.failure[1]?.type, 'RequestedFailure');
    const read = await requestJson(processUrl(await processIdOf(callerId)));
    assert.equal(read.body.status, 'failed');
    assert.equal(read.body.error?.type, 'RequestedFailure');
  });
});

// Alone, after the rest: it counts processes.
describe('refused starts', () => {
  it('bad input is a non-retryable BAD_REQUEST handler error, typed InvalidInput; no process starts', async () => {
    const before = await stack.count();
    const cases: [KindName, unknown, RegExp][] = [
      ['delay', { seconds: -1 }, /\/seconds/],
      ['delay', { seconds: 1, colour: 'red' }, /colour/],
      ['encrypt', { artifactId: 'not-an-id' }, /\/artifactId/],
      // Well-formed but unusable, as POST /processes refuses it (422 there).
      ['encrypt', { artifactId: 'f'.repeat(32) }, /No artifact has id/],
    ];
    for (const [kind, input, says] of cases) {
      const { outcome } = await call(kind, input);
      assert.ok(!outcome.ok, `${kind} ${JSON.stringify(input)} was refused`);
      // The server wraps the handler's error once more: look for the typed cause at the end.
      const [operation, handler] = outcome.failure;
      const cause = outcome.failure.at(-1);
      assert.equal(operation?.name, 'NexusOperationFailure');
      assert.equal(handler?.name, 'HandlerError', JSON.stringify(outcome.failure));
      assert.equal(handler?.type, 'BAD_REQUEST');
      assert.equal(handler?.retryable, false);
      assert.equal(cause?.name, 'ApplicationFailure', JSON.stringify(outcome.failure));
      assert.equal(cause?.type, 'InvalidInput');
      assert.match(cause?.message ?? '', says);
    }
    assert.equal(await stack.count(), before, 'no process started');
  });
});
