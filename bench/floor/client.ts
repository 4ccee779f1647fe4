/**
 * The floor's client process: what plays the API's part for the floor in S3. On each SIGUSR2 it
 * runs `client.workflow.execute(floorWorkflow)` with CONCURRENCY calls in flight for SECONDS, lets
 * those in flight then end, and prints `done N {"completed":…,"all":…,"failures":…,"seconds":…}`
 * for its Nth round: `completed` ended within SECONDS, `all` counts those that ended after too.
 * Prints `ready` once connected.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { callsUntil } from '../support/closed-loop.js';

const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: 'default' });
const taskQueue = process.env.TASK_QUEUE ?? 'floor';
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 10);

let rounds = 0;

async function round(): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  const { ok, all, failures } = await callsUntil(
    concurrency,
    deadline,
    () => client.workflow.execute('floorWorkflow', { taskQueue, workflowId: `floor-${randomUUID()}` }),
    (err, failures) => {
      if (failures === 1) console.error(err);
      return sleep(100);
    },
  );
  console.log(`done ${++rounds} ${JSON.stringify({ completed: ok, all, failures, seconds })}`);
}

let busy = false;
process.on('SIGUSR2', () => {
  if (busy) return;
  busy = true;
  void round().finally(() => (busy = false));
});
process.once('SIGTERM', () => void connection.close().then(() => process.exit(0)));
// Connected and warm: one round trip before saying so.
await client.workflowService.getSystemInfo({});
console.log('ready');
setInterval(() => undefined, 1 << 30); // stay up between rounds
