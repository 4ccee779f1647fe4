/**
 * The API reads a running process by the run it last saw (a describe of a known run skips the
 * server's store read of the current run). When an operator resets the workflow, that run closes
 * and another becomes current: reads must follow to the new run, never report the old one's end.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { workflowIdOf } from '../../src/gateway/ids.js';
import { pollProcess, startProcess } from '../support/api-client.js';
import { useStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
useStack({ workers: 1 }, (started) => {
  stack = started;
});

describe('reads after a reset', () => {
  it('follow the process to its new run', async () => {
    const started = await startProcess(stack.api.url, {
      kind: 'delay',
      input: { seconds: 30, steps: 30 },
    });
    const url = started.body.links.self;
    const running = await pollProcess(url, (p) => p.status === 'running');
    const workflowId = workflowIdOf(started.body.id);
    const handle = stack.client.workflow.getHandle(workflowId);
    const { runId: firstRun } = await handle.describe();
    assert.ok(running.links.ui.includes(firstRun), 'read by the first run');

    // Reset to the end of the first workflow task: the first run is terminated, a new one runs.
    const history = await handle.fetchHistory();
    const firstTaskDone = history.events?.find((e) => e.workflowTaskCompletedEventAttributes);
    assert.ok(firstTaskDone?.eventId, 'the first workflow task completed');
    const { namespace } = stack.client.options;
    const reset = await stack.client.workflowService.resetWorkflowExecution({
      namespace,
      workflowExecution: { workflowId, runId: firstRun },
      reason: 'test: reads follow a reset',
      workflowTaskFinishEventId: firstTaskDone.eventId,
      requestId: randomUUID(),
    });
    const newRun = reset.runId;
    assert.ok(newRun && newRun !== firstRun, 'a new run');

    const followed = await pollProcess(url, (p) => p.links.ui.includes(newRun), { timeoutMs: 10_000 });
    assert.ok(
      ['queued', 'running'].includes(followed.status),
      `status ${followed.status}, not the first run's end`,
    );
    await stack.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
