import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProcessId, processIdForKey } from '../../src/gateway/ids.js';
import { orchestratorWorkflowType, processStart } from '../../src/gateway/start-options.js';
import { kinds } from '../../src/kinds/index.js';
import { processOrchestrator } from '../../src/workflows/index.js';

const settings = { taskQueue: 'q', uiBaseUrl: 'http://ui.test' };
const selfUrl = (id: string) => `http://api.test/processes/${id}`;

describe('process start options', () => {
  it('starts the orchestrator by the name its function has', () => {
    assert.equal(orchestratorWorkflowType, processOrchestrator.name);
  });

  it('derives the same process id from the same idempotency key, and another from another', () => {
    const id = processIdForKey('acme', 'order-1234');
    assert.ok(isProcessId(id));
    assert.equal(processIdForKey('acme', 'order-1234'), id);
    assert.notEqual(processIdForKey('acme', 'order-1235'), id);
  });

  it("keeps tenants' idempotency keys apart, however their names and keys are cut", () => {
    const id = processIdForKey('acme', 'order-1234');
    assert.notEqual(processIdForKey('globex', 'order-1234'), id);
    assert.notEqual(processIdForKey('a', 'b:c'), processIdForKey('a:b', 'c'));
    assert.notEqual(processIdForKey('a', '"b"'), processIdForKey('a"', 'b'));
  });

  it("passes the kind's policy, summary and tenant to the workflow, and records kind, status and tenant", () => {
    const input = kinds.delay.input.parse({ seconds: 2 });
    const { id, startOptions, fingerprint } = processStart(
      'acme',
      { kind: 'delay', input, selfUrl },
      settings,
    );
    assert.ok(isProcessId(id));
    assert.equal(fingerprint, undefined, 'keyless starts skip the fingerprint');
    const [args] = startOptions.args;
    assert.deepEqual(args.policy, kinds.delay.policy);
    assert.equal(args.summary, '2s in 10 steps');
    assert.equal(args.tenant, 'acme');
    assert.equal(startOptions.workflowId, id);
    assert.deepEqual(
      startOptions.typedSearchAttributes.map(({ key, value }) => [key.name, value]),
      [
        ['LongrunKind', 'delay'],
        ['LongrunStatus', 'queued'],
        ['LongrunTenant', 'acme'],
      ],
    );
    // The fairness key: the runner activity inherits it from the workflow.
    assert.deepEqual(startOptions.priority, { fairnessKey: 'acme' });
  });
});
