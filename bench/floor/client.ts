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

const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: 'default' });
const taskQueue = process.env.TASK_QUEUE ?? 'floor';
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 10);

let rounds = 0;

async function round(): Promise<void> {
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let completed = 0;
  let all = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          await client.workflow.execute('floorWorkflow', { taskQueue, workflowId: `floor-${randomUUID()}` });
          all++;
          if (performance.now() <= deadline) completed++;
        } catch (err) {
          if (++failures === 1) console.error(err);
          await sleep(100); // a failing server must not be hammered
        }
      }
    }),
  );
  console.log(`done ${++rounds} ${JSON.stringify({ completed, all, failures, seconds })}`);
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
