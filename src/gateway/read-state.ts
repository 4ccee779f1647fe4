/**
 * Reading one process's state from what the Temporal server already holds, never from a worker,
 * so a busy, backlogged or absent worker never slows a read. The order it tries:
 *  1. this API instance's cache of ended processes (they never change);
 *  2. describe. A running workflow's state follows from its runner activity, as the server keeps
 *     it: queued until an attempt has started, then its attempt, its last heartbeat (progress and
 *     checkpoint), a pending retry (when due, why the last attempt failed) and a cancel request;
 *     with no runner activity pending, from its history (small: progress never goes through it);
 *  3. for a closed workflow, the final state it recorded: the close event's result, the state
 *     attached to its failure, or, for a canceled one (and one started as a Nexus operation,
 *     whose result is the process's result alone), the state kept in its memo;
 *  4. terminated, timed out, or closed before recording anything: describe alone.
 */
import {
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contract/failure-types.js';
import type { Callback } from '../contract/resources.js';
import { finalStateMemo } from '../shared/orchestrator-versions.js';
import { initialState, isProcessState, type ProcessState } from '../shared/process-state.js';
import { isTerminal } from '../contract/process-status.js';
import type { processOrchestrator } from '../workflows/index.js';
import { describeRun, type RunDescription } from './describe.js';
import { isProcessId, workflowIdOf } from './ids.js';
import { LruCache } from './lru-cache.js';
import { noGatewayMetrics, type GatewayMetrics, type StatusReadSource } from './metrics.js';
import { runnerState, finishingState } from './runner-state.js';

type OrchestratorHandle = WorkflowHandle<typeof processOrchestrator>;

export interface StateReaderOptions {
  client: Client;
  /** How many ended processes to remember. */
  cacheSize: number;
  /** Counts how each read was answered. */
  metrics?: GatewayMetrics;
}

/** A process's state and the tenant it belongs to (`undefined`: started before tenants, nobody's). */
export interface ProcessRead {
  state: ProcessState;
  tenant: string | undefined;
}

/** How many processes' tenants and runs to remember (a tenant never changes: a workflow id is never reused by another tenant). */
const ownerCacheSize = 10_000;

/** Reads process states in the order above; one per gateway. */
export class StateReader {
  private readonly ended: LruCache<ProcessRead>;
  /**
   * Process id → whose it is ('' for nobody's) and its run, from starts and describes. A describe
   * of a known run is answered from the server's cache; one by workflow id alone first reads the
   * current run from the store.
   */
  private readonly seen = new LruCache<{ tenant: string; runId: string }>(ownerCacheSize);
  private readonly metrics: GatewayMetrics;

  constructor(private readonly options: StateReaderOptions) {
    this.ended = new LruCache(options.cacheSize);
    this.metrics = options.metrics ?? noGatewayMetrics;
  }

  private answeredFrom<T>(source: StatusReadSource, value: T): T {
    this.metrics.statusRead(source);
    return value;
  }

  handleOf(id: string, runId?: string): OrchestratorHandle {
    return this.options.client.workflow.getHandle<typeof processOrchestrator>(workflowIdOf(id), runId);
  }

  /** An ended process's state, if this instance has seen it end. */
  cachedEnd(id: string): ProcessRead | undefined {
    return this.ended.get(id);
  }

  /** Remember whose a process is (known at start), and its state if it is final. */
  remember(state: ProcessState, tenant: string | undefined): void {
    this.seen.set(state.id, { tenant: tenant ?? '', runId: state.runId });
    if (isTerminal(state.status)) this.ended.set(state.id, { state, tenant });
  }

  /**
   * Whether the process exists and is the tenant's: from memory when this instance has seen it,
   * else from describe (its `LongrunTenant` search attribute).
   */
  async belongsTo(id: string, tenant: string): Promise<boolean> {
    if (!isProcessId(id)) return false;
    const owner = this.seen.get(id)?.tenant;
    if (owner !== undefined) return owner === tenant;
    return (await this.read(id))?.tenant === tenant;
  }

  /** The current state and tenant, or `undefined` for an unknown id. */
  async read(id: string): Promise<ProcessRead | undefined> {
    if (!isProcessId(id)) return undefined;
    const known = this.ended.get(id);
    if (known) return this.answeredFrom('cache', known);
    const description = await this.describeCurrent(id);
    if (!description) return undefined;
    const { tenant } = description;
    const state = await this.fromDescription(id, description);
    this.remember(state, tenant);
    return { state, tenant };
  }

  /**
   * Describe the process's current run: the run it was last seen in while that one runs; by
   * workflow id once it has closed, in case a reset or a continue-as-new made another run current.
   */
  private async describeCurrent(id: string): Promise<RunDescription | undefined> {
    const { client } = this.options;
    const runId = this.seen.get(id)?.runId;
    if (runId !== undefined) {
      const pinned = await describeRun(client, workflowIdOf(id), runId);
      if (pinned?.status === 'RUNNING') return pinned;
    }
    return describeRun(client, workflowIdOf(id));
  }

  /**
   * Long-poll the close event (no busy polling), then read the final state. The caller has
   * checked whose the process is ({@link belongsTo}).
   */
  async waitForEnd(id: string): Promise<ProcessState | undefined> {
    try {
      const ended = await this.handleOf(id, this.seen.get(id)?.runId).result();
      // A Nexus-started process returns its result alone; its state is in the memo.
      if (!isProcessState(ended, id)) return (await this.read(id))?.state;
      this.rememberEnd(ended);
      return this.answeredFrom('wait', ended);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      const attached = attachedState(err, id);
      if (attached) return this.answeredFrom('wait', attached);
      if (err instanceof WorkflowFailedError) return (await this.read(id))?.state;
      throw err;
    }
  }

  private rememberEnd(state: ProcessState): void {
    const owner = this.seen.get(state.id)?.tenant;
    if (owner !== undefined) this.remember(state, owner === '' ? undefined : owner);
  }

  private async fromDescription(id: string, description: RunDescription): Promise<ProcessState> {
    const handle = this.handleOf(id, description.runId);
    switch (description.status) {
      case 'RUNNING':
        return this.running(id, description);
      case 'COMPLETED':
      case 'CANCELLED': {
        const kept = await memoState(description, id);
        return kept ? this.answeredFrom('memo', kept) : this.closed(handle, id, description);
      }
      case 'FAILED':
        return this.closed(handle, id, description);
      default:
        return this.answeredFrom('describe', await closedWithoutState(id, description));
    }
  }

  private async closed(
    handle: OrchestratorHandle,
    id: string,
    description: RunDescription,
  ): Promise<ProcessState> {
    const recorded = await endedState(handle, id);
    return recorded
      ? this.answeredFrom('close-event', recorded)
      : this.answeredFrom('describe', await closedWithoutState(id, description));
  }

  private async running(id: string, description: RunDescription): Promise<ProcessState> {
    const base = await describedState(id, description);
    const activity = description.pendingActivities[0];
    if (activity) {
      return this.answeredFrom(
        'describe',
        runnerState(base, activity, this.options.client.options.loadedDataConverter),
      );
    }
    // No runner activity pending: not scheduled yet, or done while the workflow finishes.
    const history = await handleHistory(this.handleOf(id, description.runId));
    return this.answeredFrom('history', finishingState(base, history));
  }
}

async function handleHistory(handle: OrchestratorHandle) {
  return (await handle.fetchHistory()).events ?? [];
}

/** What describe alone says of a process: its kind, run, creation and callback, as if just queued. */
export async function describedState(id: string, description: RunDescription): Promise<ProcessState> {
  const kind = description.kind ?? 'unknown';
  const callback = (await description.memo('callback')) as Callback | undefined;
  return {
    ...initialState(id, description.runId, kind, description.startTime.toISOString()),
    ...(callback && { callback }),
  };
}

/** The final state a closed orchestrator returned, or attached to its failure. */
async function endedState(handle: OrchestratorHandle, id: string): Promise<ProcessState | undefined> {
  try {
    const ended = await handle.result();
    return isProcessState(ended, id) ? ended : undefined;
  } catch (err) {
    return attachedState(err, id);
  }
}

/**
 * The final state an orchestrator kept in its memo: a canceled one (from the heartbeat-progress
 * version on), or one started as a Nexus operation (from the nexus-result version on).
 */
async function memoState(description: RunDescription, id: string): Promise<ProcessState | undefined> {
  const state = await description.memo(finalStateMemo);
  return isProcessState(state, id) ? state : undefined;
}

/** The state the orchestrator attached to its failure, if any. */
function attachedState(err: unknown, id: string): ProcessState | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const details =
    cause instanceof ApplicationFailure || cause instanceof CancelledFailure ? cause.details : undefined;
  const state = details?.[0];
  return isProcessState(state, id) ? state : undefined;
}

/** Terminated or timed out: the workflow never got to record a final state. */
async function closedWithoutState(id: string, description: RunDescription): Promise<ProcessState> {
  const base = await describedState(id, description);
  const closedAt = (description.closeTime ?? new Date()).toISOString();
  const name = description.status;
  return {
    ...base,
    status: name === 'CANCELLED' ? 'canceled' : 'failed',
    updatedAt: closedAt,
    completedAt: closedAt,
    ...(name === 'CANCELLED' && { cancelRequested: true }),
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
