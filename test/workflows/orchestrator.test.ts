/**
 * The orchestrator's own rules, in process: a real (local) Temporal server, a worker in this
 * process with stub activities, workflows started with the client. No HTTP and no spawned
 * workers, so each rule is tested in seconds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { connectClient, startDevServer, type DevServer } from '../../scripts/launcher.js';
import { statusQuery } from '../../src/shared/queries.js';
import type { ProcessState } from '../../src/shared/process-state.js';
import { runnerProgressSignal, runnerStartedSignal } from '../../src/shared/signals.js';
import type { RunnerPolicy } from '../../src/shared/runner-policy.js';
import { workflowsPath } from '../../src/workflows-path.js';
import { processOrchestrator, type ProcessOrchestratorInput } from '../../src/workflows/index.js';
import { releaseSignal } from './hold-child-start.js';

const holdInterceptor = fileURLToPath(new URL('./hold-child-start.ts', import.meta.url));

/** Fast retries, so that a second attempt follows at once. */
const policy: RunnerPolicy = {
  startToCloseTimeout: '1m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 3 },
};

let server: DevServer;
let client: Client;
let bundle: WorkflowBundle;
before(async () => {
  server = await startDevServer();
  client = await connectClient(server.address);
  bundle = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [holdInterceptor] });
});
after(async () => {
  await client?.connection.close();
  await server?.stop();
});

/** Run `fn` with a worker in this process on its own task queue; it stops afterwards. */
async function withWorker<T>(
  activities: Record<string, (...args: never[]) => Promise<unknown>> | undefined,
  fn: (taskQueue: string) => Promise<T>,
  taskQueue = `orchestrator-${randomUUID()}`,
): Promise<T> {
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: bundle,
      ...(activities && { activities }),
    });
    return await worker.runUntil(fn(taskQueue));
  } finally {
    await connection.close();
  }
}

function input(id: string, extra: Partial<ProcessOrchestratorInput> = {}): ProcessOrchestratorInput {
  return {
    id,
    kind: 'delay',
    input: {},
    policy,
    summary: 'stub',
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

const start = (taskQueue: string, id: string, extra: Partial<ProcessOrchestratorInput> = {}) =>
  client.workflow.start(processOrchestrator, { taskQueue, workflowId: id, args: [input(id, extra)] });

/** Poll the workflow's own view until `until` holds. */
async function queryUntil(id: string, until: (state: ProcessState) => boolean): Promise<ProcessState> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await client.workflow.getHandle(id).query(statusQuery);
    if (until(state)) return state;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last state ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The workflow's result, or a rejection if it takes longer than `ms`. */
function resultWithin<T>(handle: { result(): Promise<T> }, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
  });
  return Promise.race([handle.result(), late]).finally(() => clearTimeout(timer));
}

/** A promise and its resolver, to let a stub runner go when the test says so. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('orchestrator rules', () => {
  it('ignores a late report from an earlier attempt', async () => {
    const secondAttempt = gate();
    const delay = async () => {
      const { attempt, workflowExecution } = Context.current().info;
      const handle = client.workflow.getHandle(workflowExecution!.workflowId);
      await handle.signal(runnerStartedSignal, { attempt });
      if (attempt === 1) throw ApplicationFailure.retryable('the first attempt fails', 'TransientFailure');
      await secondAttempt.opened;
      return { attempt };
    };
    await withWorker({ delay }, async (taskQueue) => {
      const id = randomUUID();
      const handle = await start(taskQueue, id);
      let current: ProcessState;
      try {
        await queryUntil(id, (s) => s.attempt === 2 && s.status === 'running');
        // The first attempt's runner, slow to report: its news must not overwrite the second's.
        await handle.signal(runnerStartedSignal, { attempt: 1 });
        await handle.signal(runnerProgressSignal, { attempt: 1, percent: 90, message: 'late news' });
        current = await queryUntil(id, () => true);
      } finally {
        secondAttempt.open(); // never leave the stub runner (and so the worker) hanging
      }
      assert.equal(current.attempt, 2);
      assert.notEqual(current.progress.message, 'late news');
      assert.notEqual(current.progress.percent, 90);
      const final = (await handle.result()) as ProcessState;
      assert.equal(final.status, 'succeeded');
      assert.equal(final.attempt, 2);
      assert.deepEqual(final.result, { attempt: 2 });
    });
  });

  it('a process canceled while queued never starts its runner', async () => {
    let runs = 0;
    const delay = () => {
      runs++;
      return Promise.resolve({});
    };
    const taskQueue = `orchestrator-${randomUUID()}`;
    const id = randomUUID();
    // A worker without activities polls no activity tasks: the runner stays queued.
    await withWorker(
      undefined,
      async () => {
        const handle = await start(taskQueue, id);
        for (let i = 0; i < 200; i++) {
          const { raw } = await handle.describe();
          if ((raw.pendingActivities ?? []).length > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal((await handle.query(statusQuery)).status, 'queued');
        await handle.cancel();
        const err = await resultWithin(handle, 20_000).then(
          () => assert.fail('a canceled process must not succeed'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
        // A closed workflow still answers queries (replayed by this worker).
        const state = await handle.query(statusQuery);
        assert.equal(state.status, 'canceled');
        assert.equal(state.attempt, 0, 'no attempt ever started');
      },
      taskQueue,
    );
    // Now a runner polls the same task queue: there must be nothing left for it to run.
    await withWorker(
      { delay },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
      },
      taskQueue,
    );
    assert.equal(runs, 0);
    const history = await client.workflow.getHandle(id).fetchHistory();
    assert.ok(
      !(history.events ?? []).some((e) => e.activityTaskStartedEventAttributes),
      'no ActivityTaskStarted in the history',
    );
  });

  it('a terminal state never changes, whatever arrives after it', async () => {
    const delay = () => Promise.resolve({ done: true });
    const deliverWebhook = () =>
      Promise.resolve({ status: 204, attempt: 1, deliveredAt: new Date().toISOString() });
    await withWorker({ delay, deliverWebhook }, async (taskQueue) => {
      // `hold-`: the test interceptor keeps the workflow open after its terminal update, before it
      // hands the webhook event over (see hold-child-start.ts).
      const id = `hold-${randomUUID()}`;
      const handle = await start(taskQueue, id, {
        callback: { url: 'http://127.0.0.1:9/hooks', events: ['process.succeeded'] },
        links: { self: `http://api.test/processes/${id}`, uiBaseUrl: 'http://ui.test' },
      });
      let terminal: ProcessState;
      let later: ProcessState;
      try {
        terminal = await queryUntil(id, (s) => s.status === 'succeeded');
        await handle.signal(runnerStartedSignal, { attempt: 7 });
        await handle.signal(runnerProgressSignal, {
          attempt: 7,
          percent: 3,
          message: 'from a zombie runner',
        });
        await handle.cancel();
        later = await queryUntil(id, () => true);
      } finally {
        await handle.signal(releaseSignal);
      }
      assert.deepEqual(later, terminal, 'late signals and a cancel request changed nothing');
      assert.deepEqual(await handle.result(), terminal);
    });
  });
});
