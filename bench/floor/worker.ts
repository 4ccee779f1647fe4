/**
 * The floor's worker process: hosts bench/floor/workflows.ts and its no-op activity on TASK_QUEUE,
 * with the SDK's defaults. Prints `ready` once it polls.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities.js';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: process.env.TASK_QUEUE ?? 'floor',
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities,
});
const running = worker.run();
while (worker.getState() !== 'RUNNING') await sleep(50);
console.log('ready');
process.once('SIGTERM', () => worker.shutdown());
await running;
await connection.close();
