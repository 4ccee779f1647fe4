/**
 * Records workflow histories of the current workflow code into test/replay/histories/, one per
 * path a process can take, for the replay test: run it (`npm run record-histories -- v3`) whenever
 * the workflow code changes (behind `patched()` or a new workflow type, so that the older
 * histories still replay), and commit the new files beside the old ones. It also writes the
 * fingerprint of the code it recorded from (manifest.json), which the replay test checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { eventually, temporalCli } from './launcher.js';
import { deliveriesWorkflowId } from '../src/webhooks/events.js';
import { cancelProcess, pollProcess, pollUntilEnded, startProcess } from '../test/support/api-client.js';
import { startNexusCaller, type NexusCaller } from '../test/support/nexus-caller.js';
import { WebhookReceiver } from '../test/support/receivers.js';
import { startStack, type TestStack } from '../test/support/stack.js';
import { workflowCodeHash } from '../test/replay/workflow-code.js';

const version = process.argv[2];
if (!version || !/^v\d+$/.test(version)) {
  console.error(
    'usage: npm run record-histories -- vN   (the next version: see test/replay/histories/manifest.json)',
  );
  process.exit(2);
}
const folder = new URL('../test/replay/histories/', import.meta.url);
mkdirSync(folder, { recursive: true });

/** One path through the workflows: what to do, and the workflow ids whose histories to keep. */
type Scenario = (
  stack: TestStack,
  receiver: { url: string },
  caller: NexusCaller,
) => Promise<Record<string, string>>;

const delay = (stack: TestStack, input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  startProcess(stack.api.url, { kind: 'delay', input, ...extra });

async function ended(stack: TestStack, input: Record<string, unknown>, extra?: Record<string, unknown>) {
  const started = await delay(stack, input, extra);
  await pollUntilEnded(started.body.links.self, { timeoutMs: 120_000 });
  return started.body.id;
}

const scenarios: Record<string, Scenario> = {
  // An attempt that lasts: the runner tells its workflow it runs.
  succeeded: async (stack) => ({ '': await ended(stack, { seconds: 2, steps: 4 }) }),
  // An attempt under a second: the workflow learns of it from the outcome only.
  'succeeded-quickly': async (stack) => ({ '': await ended(stack, { seconds: 0.2, steps: 1 }) }),
  'retried-then-succeeded': async (stack) => ({
    '': await ended(stack, { seconds: 2, steps: 2, failAttempts: 2 }),
  }),
  'failed-non-retryable': async (stack) => ({ '': await ended(stack, { seconds: 0.5, fail: true }) }),
  'canceled-while-running': async (stack) => {
    const started = await delay(stack, { seconds: 60, steps: 60 });
    await pollProcess(started.body.links.self, (r) => r.status === 'running' && r.progress.percent > 0);
    await cancelProcess(started.body.links.self);
    await pollUntilEnded(started.body.links.self, { timeoutMs: 60_000 });
    return { '': started.body.id };
  },
  'canceled-while-queued': async (stack) => {
    // The only runner slot is taken: the second process waits, queued, and is canceled there.
    const blocker = await delay(stack, { seconds: 60, steps: 60 });
    await pollProcess(blocker.body.links.self, (r) => r.status === 'running');
    const queued = await delay(stack, { seconds: 1 });
    await pollProcess(queued.body.links.self, (r) => r.status === 'queued');
    await cancelProcess(queued.body.links.self);
    await pollUntilEnded(queued.body.links.self);
    await cancelProcess(blocker.body.links.self);
    await pollUntilEnded(blocker.body.links.self, { timeoutMs: 60_000 });
    return { '': queued.body.id };
  },
  // Webhooks: the orchestrator hands events over; its deliveries workflow retries one (a 500 first).
  callback: async (stack, receiver) => {
    const id = await ended(
      stack,
      { seconds: 2, steps: 2 },
      { callback: { url: receiver.url, events: ['process.running', 'process.succeeded'] } },
    );
    const deliveries = stack.client.workflow.getHandle(deliveriesWorkflowId(id));
    await eventually(
      () => deliveries.describe(),
      (d) => d.status.name === 'COMPLETED',
      { timeoutMs: 60_000, what: 'the deliveries workflow to complete' },
    );
    return { '': id, deliveries: deliveriesWorkflowId(id) };
  },
  // Started as a Nexus operation: the workflow returns the result alone, its state in the memo.
  'nexus-succeeded': async (_stack, _receiver, caller) => {
    const { outcome, caller: callerId } = await caller.call('delay', { seconds: 2, steps: 2 });
    if (!outcome.ok) throw new Error(`the Nexus operation failed: ${JSON.stringify(outcome.failure)}`);
    return { '': await caller.processIdOf(callerId) };
  },
  // A cancel from the caller, through the operation.
  'nexus-canceled': async (stack, _receiver, caller) => {
    const handle = await caller.start('delay', { seconds: 60, steps: 60 });
    const id = await caller.processIdOf(handle.workflowId);
    await pollProcess(`${stack.api.url}/processes/${id}`, (r) => r.status === 'running');
    await handle.cancel();
    await handle.result();
    return { '': id };
  },
};

const stack = await startStack({ workers: 0 });
const receiver = new WebhookReceiver(stack.webhookSecret, [500]);
let caller: NexusCaller | undefined;
try {
  await stack.startWorker({ MAX_CONCURRENT_RUNNERS: '1' });
  caller = await startNexusCaller(stack);
  const url = await receiver.listen();
  for (const [name, run] of Object.entries(scenarios)) {
    const ids = await run(stack, { url }, caller);
    for (const [suffix, workflowId] of Object.entries(ids)) {
      const described = await stack.client.workflow.getHandle(workflowId).describe();
      if (described.status.name === 'RUNNING') throw new Error(`${workflowId} has not closed`);
      // The CLI writes the JSON form that the replayer (and the Web UI's download) reads.
      const json = execFileSync(
        temporalCli(),
        ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.address, '--output', 'json'],
        { encoding: 'utf8' },
      );
      const file = new URL(`${version}-${name}${suffix ? `-${suffix}` : ''}.json`, folder);
      writeFileSync(file, json);
      const events = (JSON.parse(json) as { events: unknown[] }).events.length;
      console.log(`recorded ${file.pathname} (${events} events)`);
    }
  }
  const manifest = { recordedAs: version, workflowCode: workflowCodeHash() };
  writeFileSync(new URL('manifest.json', folder), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote manifest.json: ${JSON.stringify(manifest)}`);
} finally {
  await caller?.stop();
  await receiver.close();
  await stack.stop();
}
