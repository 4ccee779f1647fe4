import { randomUUID } from 'node:crypto';
import {
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { runnerKinds } from '../activities/registry.js';
import type { RunnerHeartbeat } from '../activities/progress.js';
import { FailureType } from '../shared/failures.js';
import { initialState, isTerminal, processStatuses, type ProcessState } from '../shared/process-state.js';
import { kindSearchAttribute, statusSearchAttribute } from '../shared/search-attributes.js';
import { statusQuery } from '../shared/signals.js';
import { processOrchestrator } from '../workflows/index.js';
import type { ProcessGateway, ProcessSnapshot, StartCommand } from './gateway.js';

export interface TemporalGatewayOptions {
  client: Client;
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for deep links. */
  uiBaseUrl: string;
  /** How long a status query may wait for a worker before falling back to describe. */
  queryTimeoutMs: number;
  /** How many terminal processes to remember (they never change). */
  terminalCacheSize: number;
}

/** A process id is a random UUID: unguessable, and safe in URLs and workflow ids. */
const processIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isProcessId(id: string): boolean {
  return processIdPattern.test(id);
}

/** The Temporal workflow id of a process. Equal to the process id, so the Web UI search finds it as is. */
export function workflowIdOf(processId: string): string {
  return processId;
}

/** The API↔Temporal boundary: ids, start, query/describe and error mapping live here only. */
export function createTemporalGateway(options: TemporalGatewayOptions): ProcessGateway {
  const { client, taskQueue, queryTimeoutMs } = options;
  const namespace = client.options.namespace;
  const terminal = new TerminalCache(options.terminalCacheSize);

  const snapshot = (state: ProcessState): ProcessSnapshot => {
    if (isTerminal(state.status)) terminal.set(state);
    const path = ['namespaces', namespace, 'workflows', workflowIdOf(state.id), state.runId, 'history']
      .map(encodeURIComponent)
      .join('/');
    return { state, uiUrl: new URL(path, withSlash(options.uiBaseUrl)).toString() };
  };

  /** Answer from what the server knows, without a worker (describe, and history for closed runs). */
  async function fromServer(id: string): Promise<ProcessState | undefined> {
    const handle = client.workflow.getHandle(workflowIdOf(id));
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    const kind = description.typedSearchAttributes.get(kindSearchAttribute) ?? 'unknown';
    const base = initialState(id, description.runId, kind, description.startTime.toISOString());
    switch (description.status.name) {
      case 'RUNNING':
      case 'CONTINUED_AS_NEW':
        return fromRunning(base, description);
      case 'COMPLETED':
        return (await handle.result()) as ProcessState;
      case 'FAILED':
      case 'CANCELLED':
        try {
          await handle.result();
        } catch (err) {
          const attached = attachedState(err);
          if (attached) return attached;
        }
        break;
      default:
        break;
    }
    const closedAt = (description.closeTime ?? new Date()).toISOString();
    const terminated = description.status.name === 'TERMINATED';
    return {
      ...base,
      status: description.status.name === 'CANCELLED' ? 'canceled' : 'failed',
      updatedAt: closedAt,
      completedAt: closedAt,
      error: {
        type: terminated ? FailureType.Terminated : FailureType.WorkflowTimedOut,
        title: terminated ? 'The process was terminated' : 'The process timed out',
        detail: `workflow ${description.status.name.toLowerCase()}`,
      },
    };
  }

  async function fromRunning(
    base: ProcessState,
    description: WorkflowExecutionDescription,
  ): Promise<ProcessState> {
    const recorded = description.typedSearchAttributes.get(statusSearchAttribute);
    const status = processStatuses.find((s) => s === recorded) ?? 'queued';
    const activity = description.raw.pendingActivities?.[0];
    if (!activity) return { ...base, status };
    const heartbeat = await decodeFromPayloadsAtIndex<RunnerHeartbeat<unknown> | undefined>(
      client.options.loadedDataConverter,
      0,
      activity.heartbeatDetails?.payloads,
    ).catch(() => undefined);
    const lastHeartbeat = activity.lastHeartbeatTime?.seconds
      ? new Date(Number(activity.lastHeartbeatTime.seconds) * 1000).toISOString()
      : base.updatedAt;
    return {
      ...base,
      status,
      attempt: status === 'queued' ? 0 : (activity.attempt ?? 1),
      progress: heartbeat?.progress ?? base.progress,
      updatedAt: lastHeartbeat,
    };
  }

  return {
    async start({ kind, input }: StartCommand) {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      const runner = runnerKinds[kind];
      const summary = runner.summarize(input as never);
      try {
        const handle = await client.workflow.start(processOrchestrator, {
          taskQueue,
          workflowId: workflowIdOf(id),
          args: [{ id, kind, input, policy: runner.policy, summary, createdAt }],
          staticSummary: `${kind}: ${summary}`,
          staticDetails: `Input:\n\`\`\`json\n${JSON.stringify(input, null, 2)}\n\`\`\``,
          typedSearchAttributes: [
            { key: kindSearchAttribute, value: kind },
            { key: statusSearchAttribute, value: 'queued' },
          ],
        });
        return snapshot(initialState(id, handle.firstExecutionRunId, kind, createdAt));
      } catch (err) {
        // Starting is idempotent per id: a process that already exists is the answer.
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          const existing = await this.get(id);
          if (existing) return existing;
        }
        throw err;
      }
    },

    async get(id) {
      if (!isProcessId(id)) return undefined;
      const known = terminal.get(id);
      if (known) return snapshot(known);
      let state: ProcessState | undefined;
      try {
        // The workflow's own view is freshest; give a worker a moment to answer it.
        state = await client.withDeadline(Date.now() + queryTimeoutMs, () =>
          client.workflow.getHandle(workflowIdOf(id)).query(statusQuery),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        state = await fromServer(id);
      }
      return state && snapshot(state);
    },

    async ready() {
      try {
        await client.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** The state the orchestrator attached to its failure or cancellation, if any. */
function attachedState(err: unknown): ProcessState | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const details =
    cause instanceof ApplicationFailure || cause instanceof CancelledFailure ? cause.details : undefined;
  const state = details?.[0] as ProcessState | undefined;
  return state && typeof state === 'object' && 'status' in state ? state : undefined;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Terminal states, least recently used evicted first. */
class TerminalCache {
  private readonly entries = new Map<string, ProcessState>();
  constructor(private readonly capacity: number) {}

  get(id: string): ProcessState | undefined {
    const state = this.entries.get(id);
    if (state) {
      this.entries.delete(id);
      this.entries.set(id, state);
    }
    return state;
  }

  set(state: ProcessState): void {
    if (this.capacity === 0) return;
    this.entries.delete(state.id);
    this.entries.set(state.id, state);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
