import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { longrunNexusService } from '../../src/contract/nexus-service.js';
import { processStart } from '../../src/gateway/start-options.js';
import { kindNames, kinds } from '../../src/kinds/index.js';
import { nexusIdempotencyKey } from '../../src/nexus/operations.js';

const settings = { taskQueue: 'q', uiBaseUrl: 'http://ui.test' };

describe('the longrun Nexus service', () => {
  it('has one operation per kind, named after the kind', () => {
    assert.equal(longrunNexusService.name, 'longrun');
    assert.deepEqual(Object.keys(longrunNexusService.operations).sort(), [...kindNames].sort());
    for (const [key, operation] of Object.entries(longrunNexusService.operations)) {
      assert.equal(operation.name, key);
    }
  });

  it('a Nexus start is keyed by its request id and asks the workflow for the result alone', () => {
    const input = kinds.delay.input.parse({ seconds: 1 });
    const start = (requestId: string) =>
      processStart(
        {
          kind: 'delay',
          input,
          idempotencyKey: nexusIdempotencyKey(requestId),
          selfUrl: (id) => `/processes/${id}`,
          returns: 'result',
        },
        settings,
      );
    const first = start('7b1d5c0e-0000-4000-8000-000000000001');
    assert.equal(
      start('7b1d5c0e-0000-4000-8000-000000000001').id,
      first.id,
      'a retried start, the same process',
    );
    assert.notEqual(start('7b1d5c0e-0000-4000-8000-000000000002').id, first.id);
    const [args] = first.startOptions.args;
    assert.equal(args.returns, 'result');
    assert.equal(first.startOptions.workflowId, first.id);
    const [api] = processStart({ kind: 'delay', input, selfUrl: (id) => id }, settings).startOptions.args;
    assert.equal(api.returns, undefined, 'API starts return the state, as before');
  });
});
