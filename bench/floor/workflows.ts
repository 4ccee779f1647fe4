/**
 * The floor of S3: the least a Temporal workflow that runs one activity costs. One no-op activity,
 * a start-to-close timeout, nothing else: no search attributes, signals, queries or memo. Its own
 * bundle (bench/floor/worker.ts), apart from longrun's workflows.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}
