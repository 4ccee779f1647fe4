/**
 * Reading one process's state. The order it tries:
 *  1. the API instance's cache of ended processes (they never change);
 *  2. the workflow's own view, by query, giving a worker `queryTimeoutMs` to answer;
 *  3. without a worker, what the server holds: describe for a running workflow (its status search
 *     attribute, and the runner activity's attempt and last heartbeat), never behind what a query
 *     showed before; for a closed one, its close event (the final state it returned, or attached
 *     to its failure or cancellation); for one terminated or timed out, describe alone.
 */
import {
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RunnerHeartbeat } from '../shared/heartbeat.js';
import { FailureType } from '../contract/failure-types.js';
import { isTerminal } from '../contract/process-status.js';
import { initialState, type ProcessState } from '../shared/process-state.js';
import { statusQuery } from '../shared/queries.js';
import { kindSearchAttribute, statusSearchAttribute } from '../shared/search-attributes.js';
import type { processOrchestrator } from '../workflows/index.js';
import { isProcessId, workflowIdOf } from './ids.js';
import { LruCache } from './lru-cache.js';
import { decodeFirst } from './payloads.js';
import { timestampToIso } from './timestamps.js';
import { toStatus } from './visibility.js';

type OrchestratorHandle = WorkflowHandle<typeof processOrchestrator>;

export interface StateReaderOptions {
  client: Client;
  /** How long a status query may wait for a worker before falling back to describe. */
  queryTimeoutMs: number;
  /** How many ended processes to remember. */
  cacheSize: number;
}

/** Reads process states in the order above; one per gateway. */
export class StateReader {
  private readonly ended: LruCache<ProcessState>;
  /** The last state each running process reported by query, for when only describe answers. */
  private readonly lastQueried: LruCache<ProcessState>;

  constructor(private readonly options: StateReaderOptions) {
    this.ended = new LruCache(options.cacheSize);
    this.lastQueried = new LruCache(options.cacheSize);
  }

  handleOf(id: string): OrchestratorHandle {
    return this.options.client.workflow.getHandle<typeof processOrchestrator>(workflowIdOf(id));
  }

  /** An ended process's state, if this instance has seen it end. */
  cachedEnd(id: string): ProcessState | undefined {
    return this.ended.get(id);
  }

  /** Remember a state if it is final. */
  remember(state: ProcessState): void {
    if (isTerminal(state.status)) this.ended.set(state.id, state);
  }

  /** The current state, or `undefined` for an unknown id. */
  async read(id: string): Promise<ProcessState | undefined> {
    if (!isProcessId(id)) return undefined;
    const known = this.ended.get(id);
    if (known) return known;
    const { client, queryTimeoutMs } = this.options;
    let state: ProcessState | undefined;
    try {
      // The workflow's own view is freshest; give a worker a moment to answer it.
      state = await client.withDeadline(Date.now() + queryTimeoutMs, () =>
        this.handleOf(id).query(statusQuery),
      );
      if (!isTerminal(state.status)) this.lastQueried.set(id, state);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      state = await this.fromServer(id);
    }
    if (state) this.remember(state);
    return state;
  }

  /** Long-poll the close event (no busy polling); terminated or timed-out runs via describe. */
  async waitForEnd(id: string): Promise<ProcessState | undefined> {
    try {
      return await this.handleOf(id).result();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      const attached = attachedState(err);
      if (attached) return attached;
      if (err instanceof WorkflowFailedError) return this.fromServer(id);
      throw err;
    }
  }

  /** Answer from what the server knows, without a worker (describe, and history for closed runs). */
  async fromServer(id: string): Promise<ProcessState | undefined> {
    const handle = this.handleOf(id);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    const status = description.status.name;
    if (status === 'RUNNING')
      return newest(await this.fromRunning(id, description), this.lastQueried.get(id));
    if (status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED') {
      const ended = await endedState(handle);
      if (ended) return ended;
    }
    return closedWithoutState(id, description);
  }

  private async fromRunning(id: string, description: WorkflowExecutionDescription): Promise<ProcessState> {
    const base = describedState(id, description);
    const status = toStatus(description.typedSearchAttributes.get(statusSearchAttribute)) ?? 'queued';
    const activity = description.raw.pendingActivities?.[0];
    if (!activity) return { ...base, status };
    const heartbeat = await decodeFirst<RunnerHeartbeat<unknown>>(
      this.options.client.options.loadedDataConverter,
      activity.heartbeatDetails?.payloads,
    );
    return {
      ...base,
      status,
      attempt: status === 'queued' ? 0 : (activity.attempt ?? 1),
      progress: heartbeat?.progress ?? base.progress,
      updatedAt: timestampToIso(activity.lastHeartbeatTime) ?? base.updatedAt,
    };
  }
}

/** What describe alone says of a process: its kind, run and creation, as if just queued. */
export function describedState(id: string, description: WorkflowExecutionDescription): ProcessState {
  const kind = description.typedSearchAttributes.get(kindSearchAttribute) ?? 'unknown';
  return initialState(id, description.runId, kind, description.startTime.toISOString());
}

/**
 * Describe knows less than the workflow (between attempts, or once the runner has finished but
 * the workflow has not), so never let it take a reader back behind what a query already showed.
 */
function newest(described: ProcessState, queried: ProcessState | undefined): ProcessState {
  if (!queried || queried.runId !== described.runId) return described;
  const ahead =
    described.attempt > queried.attempt ||
    (described.attempt === queried.attempt && described.progress.percent > queried.progress.percent);
  return ahead
    ? {
        ...queried,
        status: 'running',
        attempt: described.attempt,
        progress: described.progress,
        updatedAt: described.updatedAt,
      }
    : queried;
}

/** The final state a closed orchestrator returned, or attached to its failure or cancellation. */
async function endedState(handle: OrchestratorHandle): Promise<ProcessState | undefined> {
  try {
    return await handle.result();
  } catch (err) {
    return attachedState(err);
  }
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

/** Terminated or timed out: the workflow never got to record a final state. */
function closedWithoutState(id: string, description: WorkflowExecutionDescription): ProcessState {
  const base = describedState(id, description);
  const closedAt = (description.closeTime ?? new Date()).toISOString();
  const name = description.status.name;
  return {
    ...base,
    status: name === 'CANCELLED' ? 'canceled' : 'failed',
    updatedAt: closedAt,
    completedAt: closedAt,
    ...(name !== 'CANCELLED' && {
      error:
        name === 'TERMINATED'
          ? {
              type: FailureType.Terminated,
              title: 'The process was terminated',
              detail: 'terminated by an operator',
            }
          : {
              type: FailureType.WorkflowTimedOut,
              title: 'The process timed out',
              detail: `workflow ${name.toLowerCase()}`,
            },
    }),
  };
}
