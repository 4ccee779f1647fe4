/**
 * A Nexus caller for tests and recordings: a worker in the test stack's callers' namespace running
 * the caller workflows of ./nexus-caller-workflows.ts, a client to start them, and what the
 * caller's history says about the operation it started.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { eventually } from '../../scripts/launcher.js';
import type { KindName } from '../../src/kinds/index.js';
import type { TestStack } from './stack.js';
import type { callKind, CallOutcome } from './nexus-caller-workflows.js';

export interface NexusCaller {
  /** A client of the callers' namespace. */
  client: Client;
  /** Start a caller workflow that runs `kind` through the stack's Nexus endpoint. */
  start(kind: KindName, input: unknown): Promise<WorkflowHandle<typeof callKind>>;
  /** Run `kind` through Nexus to its end: how it ended, and the caller's workflow id. */
  call(kind: KindName, input: unknown): Promise<{ outcome: CallOutcome; caller: string }>;
  /**
   * The process a caller's operation started, from the caller's side: the server links the
   * caller's `NexusOperationStarted` event to the workflow the operation started (as the Web UI shows).
   */
  processIdOf(callerWorkflowId: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start the callers' worker (bundling the caller workflows takes a few seconds). */
export async function startNexusCaller(stack: TestStack): Promise<NexusCaller> {
  const taskQueue = `callers-${randomUUID()}`;
  const client = new Client({
    connection: await Connection.connect({ address: stack.address }),
    namespace: stack.callerNamespace,
  });
  const native = await NativeConnection.connect({ address: stack.address });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection: native,
      namespace: stack.callerNamespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./nexus-caller-workflows.ts', import.meta.url)),
    });
  } catch (err) {
    await native.close();
    await client.connection.close();
    throw err;
  }
  const running = worker.run();

  const start = (kind: KindName, input: unknown) =>
    client.workflow.start<typeof callKind>('callKind', {
      taskQueue,
      workflowId: `caller-${kind}-${randomUUID()}`,
      args: [{ endpoint: stack.nexusEndpoint, kind, input }],
    });

  return {
    client,
    start,
    async call(kind, input) {
      const handle = await start(kind, input);
      return { outcome: await handle.result(), caller: handle.workflowId };
    },
    async processIdOf(callerWorkflowId) {
      const linked = await eventually(
        async () => {
          const history = await client.workflow.getHandle(callerWorkflowId).fetchHistory();
          const started = history.events?.find((event) => event.nexusOperationStartedEventAttributes);
          return started?.links?.find((link) => link.workflowEvent)?.workflowEvent ?? undefined;
        },
        (found) => typeof found?.workflowId === 'string',
        { timeoutMs: 30_000, intervalMs: 100, what: `the operation of ${callerWorkflowId} to start` },
      );
      assert.equal(linked?.namespace, 'default', "the process runs in longrun's namespace");
      return String(linked?.workflowId);
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await native.close();
      await client.connection.close();
    },
  };
}
