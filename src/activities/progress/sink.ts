import type { Client } from '@temporalio/client';
import { runnerStartedSignal, type RunnerStarted } from '../../shared/signals.js';

/** Where a runner tells its workflow that an attempt is under way (once per attempt that lasts). */
export interface ProgressSink {
  started(workflowId: string, report: RunnerStarted): Promise<void>;
}

/** The production sink: signals the runner's own workflow through a Temporal client. */
export function createSignalProgressSink(client: Client): ProgressSink {
  return {
    started: (workflowId, report) =>
      client.workflow.getHandle(workflowId).signal(runnerStartedSignal, report),
  };
}
