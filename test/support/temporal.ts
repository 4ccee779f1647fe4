/** What the Temporal server itself says, for tests that check the API against it or prove a fault hit. */
import type { Client } from '@temporalio/client';
// A CommonJS module: take its namespace from the default export under ESM.
import proto from '@temporalio/proto';
import { eventually } from '../../scripts/launcher.js';

const { TaskQueueType, TaskQueueKind, PendingActivityState } = proto.temporal.api.enums.v1;

export interface Pollers {
  workflow: string[];
  activity: string[];
}

/**
 * The identities that polled a task queue recently, for workflow and for activity tasks. The
 * server keeps a poller listed for `matching.PollerHistoryTTL` after its last poll began or ended
 * (5 minutes by default; test stacks that need "nobody polls" shorten it, see test/support/stack.ts).
 */
export async function pollersOf(client: Client, taskQueue: string): Promise<Pollers> {
  const describe = async (type: proto.temporal.api.enums.v1.TaskQueueType): Promise<string[]> => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    return (response.pollers ?? []).map((poller) => poller.identity ?? '?');
  };
  const [workflow, activity] = await Promise.all([
    describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return { workflow, activity };
}

/** Wait until no worker polls `taskQueue` for workflow or activity tasks; fails after `timeoutMs`. */
export async function waitUntilNobodyPolls(
  client: Client,
  taskQueue: string,
  timeoutMs = 30_000,
): Promise<Pollers> {
  return eventually(
    () => pollersOf(client, taskQueue),
    (pollers) => pollers.workflow.length === 0 && pollers.activity.length === 0,
    { timeoutMs, intervalMs: 100, what: `pollers of task queue ${taskQueue} to disappear` },
  );
}

/** The kinds of a workflow's history events, in order (e.g. `activityTaskStartedEventAttributes`). */
export async function historyEventTypes(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map(
    (event) => Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? '',
  );
}

/** A runner's attempt as the server holds it: the orchestrator's pending activity. */
export interface PendingRunner {
  workflowId: string;
  /** STARTED: a worker holds it; SCHEDULED: waiting for one (or for its retry to be due). */
  state: 'STARTED' | 'SCHEDULED' | 'CANCEL_REQUESTED' | 'PAUSED' | 'PAUSE_REQUESTED' | 'UNSPECIFIED';
  attempt: number;
  /** The worker that picked the attempt up (`pid@host` by default). */
  workerIdentity: string | undefined;
  /** The last heartbeat's details (progress and checkpoint), decoded from JSON. */
  heartbeat: { progress: { percent: number; message: string } } | undefined;
}

/** The runner of a process as the server sees it, or `undefined` when none is pending. */
export async function pendingRunner(client: Client, workflowId: string): Promise<PendingRunner | undefined> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const activity = raw.pendingActivities?.[0];
  if (!activity) return undefined;
  const data = activity.heartbeatDetails?.payloads?.[0]?.data;
  const state = PendingActivityState[activity.state ?? 0] ?? 'PENDING_ACTIVITY_STATE_UNSPECIFIED';
  return {
    workflowId,
    state: state.replace('PENDING_ACTIVITY_STATE_', '') as PendingRunner['state'],
    attempt: activity.attempt ?? 0,
    workerIdentity: activity.lastWorkerIdentity ?? undefined,
    heartbeat: data
      ? (JSON.parse(Buffer.from(data).toString('utf8')) as PendingRunner['heartbeat'])
      : undefined,
  };
}

/** Whether a worker identity (the SDK's default, `pid@host`) is that of the process `pid`. */
export const isIdentityOf = (identity: string | undefined, pid: number): boolean =>
  identity?.startsWith(`${pid}@`) ?? false;
