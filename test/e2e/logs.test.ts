/**
 * Structured logs end to end: API and worker write JSON lines (stdout is no terminal here); every
 * request has a request id (the caller's `X-Request-Id`, or a new one) that is echoed in the
 * answer, in problem+json and in the request's log line, with the process id and kind when the
 * request was about a process; the worker's lines (the Temporal Runtime's included) name the
 * process and kind too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type ManagedProcess } from '../../scripts/launcher.js';
import { authHeaders, pollUntilEnded, requestJson, startProcess } from '../support/api-client.js';
import { logLines, type LogLine } from '../support/ops.js';
import { assertProblem } from '../support/problem.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let worker: ManagedProcess;

before(async () => {
  stack = await startStack({ workers: 0 });
  // Debug: the SDK logs each workflow and activity task, with their ids.
  worker = await stack.startWorker({ LOG_LEVEL: 'debug' });
});
after(() => stack?.stop());

/** The API's log line of the request with this id (written when the answer is done). */
const requestLine = (requestId: string): Promise<LogLine> =>
  eventually(
    () => logLines(stack.api).find((line) => line.requestId === requestId),
    (line) => line !== undefined,
    { timeoutMs: 10_000, intervalMs: 100, what: `the log line of request ${requestId}` },
  ) as Promise<LogLine>;

describe('structured logs', () => {
  it('every API line is JSON with time, level, service and pid', async () => {
    assert.equal((await requestJson(`${stack.api.url}/healthz`)).status, 200);
    const lines = logLines(stack.api);
    const printed = stack.api
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    assert.equal(lines.length, printed.length, `every line is JSON:\n${printed.slice(0, 5).join('\n')}`);
    for (const line of lines) {
      assert.equal(line.service, 'api');
      assert.equal(line.pid, stack.api.pid);
      assert.ok(typeof line.level === 'string' && typeof line.msg === 'string');
      assert.ok(!Number.isNaN(Date.parse(String(line.time))), `time ${String(line.time)}`);
    }
  });

  it("takes the caller's X-Request-Id, echoes it, and logs it with the process id and kind", async () => {
    const requestId = `e2e-${Date.now()}-start`;
    const started = await startProcess(
      stack.api.url,
      { kind: 'delay', input: { seconds: 0.2, steps: 1 } },
      { 'x-request-id': requestId },
    );
    assert.equal(started.status, 202);
    assert.equal(started.headers.get('x-request-id'), requestId);
    const line = await requestLine(requestId);
    assert.equal(line.method, 'POST');
    assert.equal(line.route, '/processes');
    assert.equal(line.status, 202);
    assert.equal(line.processId, started.body.id);
    assert.equal(line.kind, 'delay');
    assert.equal(typeof line.durationMs, 'number');

    // A read of it: the route template, and the process again.
    const readId = `e2e-${Date.now()}-read`;
    await pollUntilEnded(started.body.links.self);
    const read = await requestJson(started.body.links.self, { headers: { 'x-request-id': readId } });
    assert.equal(read.headers.get('x-request-id'), readId);
    const readLine = await requestLine(readId);
    assert.equal(readLine.route, '/processes/:id');
    assert.equal(readLine.processId, started.body.id);
    assert.equal(readLine.kind, 'delay');

    // The worker's lines about that process name it and its kind.
    const about = await eventually(
      () => logLines(worker).filter((l) => l.processId === started.body.id),
      (found) => found.some((l) => l.kind === 'delay'),
      { timeoutMs: 10_000, what: 'worker lines about the process' },
    );
    for (const workerLine of about) {
      assert.equal(workerLine.service, 'worker');
      assert.equal(workerLine.pid, worker.pid);
    }
  });

  it('makes a request id when none (or no sane one) is given, also in problem+json', async () => {
    const answer = await fetch(`${stack.api.url}/processes`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'no-such-kind', input: {} }),
    });
    const made = answer.headers.get('x-request-id') ?? '';
    assert.match(made, /^[0-9a-f-]{36}$/, `a new UUID: ${made}`);
    const problem = assertProblem({
      status: answer.status,
      contentType: answer.headers.get('content-type'),
      body: await answer.json(),
    });
    assert.equal(problem.status, 400);
    assert.equal((problem as { requestId?: string }).requestId, made);
    const line = await requestLine(made);
    assert.equal(line.status, 400);
    assert.equal(line.route, '/processes');

    const insane = await fetch(`${stack.api.url}/processes/x`, {
      headers: { ...authHeaders(), 'x-request-id': 'bad id\twith spaces' },
    });
    await insane.body?.cancel();
    const replaced = insane.headers.get('x-request-id') ?? '';
    assert.match(replaced, /^[0-9a-f-]{36}$/, `replaced by a new UUID: ${replaced}`);
    const problem404 = (
      await requestJson(`${stack.api.url}/processes/x`, { headers: { 'x-request-id': 'given-404' } })
    ).body as unknown as { requestId?: string };
    assert.equal(problem404.requestId, 'given-404');
  });

  it("the worker's lines are JSON too, the Temporal Runtime's included", () => {
    const lines = logLines(worker);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.equal(line.service, 'worker');
    // The SDK's own state changes go through the same logger.
    assert.ok(
      lines.some((l) => l.state === 'RUNNING'),
      'the Runtime logged the worker RUNNING as a JSON line',
    );
  });
});
