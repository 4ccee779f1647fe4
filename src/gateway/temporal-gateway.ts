/**
 * The API↔Temporal boundary: the {@link ProcessGateway} over a Temporal client. It composes the
 * folder's parts (ids, start options, the state reader, visibility, shared waits and watches)
 * and maps Temporal's errors to the port's: not found → `undefined`, an idempotent repeat →
 * the existing process, the same key with another body → {@link IdempotencyConflictError}.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { isTerminal } from '../contract/process-status.js';
import type { DeliveryState } from '../contract/resources.js';
import { initialState, type ProcessState } from '../shared/process-state.js';
import { uiLink } from '../shared/process-resource.js';
import type { processOrchestrator } from '../workflows/index.js';
import { DeliveriesReader } from './deliveries.js';
import { isProcessId, workflowIdOf } from './ids.js';
import { noGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { IdempotencyConflictError, type ProcessGateway, type ProcessSnapshot } from './port.js';
import { checkTemporal } from './readiness.js';
import { StateReader } from './read-state.js';
import { SharedWait } from './shared-wait.js';
import { SharedWatch } from './shared-watch.js';
import { orchestratorWorkflowType, processStart } from './start-options.js';
import { listProcesses } from './visibility.js';

export interface TemporalGatewayOptions {
  client: Client;
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for deep links. */
  uiBaseUrl: string;
  /** How many terminal processes to remember (they never change). */
  terminalCacheSize: number;
  /** How often a shared watch (event streams) looks for changes. */
  watchIntervalMs?: number;
  /** What the gateway counts (default: nothing). */
  metrics?: GatewayMetrics;
}

export function createTemporalGateway(options: TemporalGatewayOptions): ProcessGateway {
  const { client } = options;
  const namespace = client.options.namespace;
  const metrics = options.metrics ?? noGatewayMetrics;
  const states = new StateReader({ client, cacheSize: options.terminalCacheSize, metrics });
  const deliveries = new DeliveriesReader(client, options.terminalCacheSize);
  const waits = new Map<string, SharedWait>();
  const watches = new Map<string, SharedWatch>();

  const uiUrl = (id: string, runId?: string): string =>
    uiLink(options.uiBaseUrl, namespace, workflowIdOf(id), runId);

  /** The snapshot of a state, with its deliveries if it has a callback. */
  async function snapshotOf(state: ProcessState): Promise<ProcessSnapshot> {
    states.remember(state);
    const delivered: DeliveryState[] | undefined = state.callback
      ? await deliveries.read(state.id)
      : undefined;
    return {
      state,
      revision: revisionOf(state),
      uiUrl: uiUrl(state.id, state.runId),
      ...(delivered && { deliveries: delivered }),
    };
  }

  async function get(id: string): Promise<ProcessSnapshot | undefined> {
    const state = await states.read(id);
    return state && snapshotOf(state);
  }

  /** Resolve an idempotent start against the process that already holds the key's id. */
  async function existingFor(id: string, fingerprint: string): Promise<ProcessSnapshot> {
    const description = await states.handleOf(id).describe();
    if (description.memo?.requestFingerprint !== fingerprint) throw new IdempotencyConflictError(id);
    const found = await get(id);
    if (!found) throw new Error(`process ${id} vanished while resolving its idempotency key`);
    return found;
  }

  /** Join (or begin) the one server-side wait of this process; answer like `get` when it ends or not. */
  async function joinWait(
    id: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ProcessSnapshot | undefined> {
    let wait = waits.get(id);
    if (!wait) {
      wait = new SharedWait(
        (aborted) => client.withAbortSignal(aborted, () => states.waitForEnd(id)),
        (done) => {
          if (waits.get(id) === done) waits.delete(id);
        },
      );
      waits.set(id, wait);
    }
    const ended = await wait.join(timeoutMs, signal);
    return ended ? snapshotOf(ended) : get(id);
  }

  return {
    async start(command) {
      const { id, createdAt, fingerprint, startOptions } = processStart(command, options);
      let handle;
      try {
        handle = await client.workflow.start<typeof processOrchestrator>(
          orchestratorWorkflowType,
          startOptions,
        );
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError && fingerprint !== undefined) {
          return existingFor(id, fingerprint);
        }
        throw err;
      }
      metrics.processStarted(command.kind);
      if (fingerprint !== undefined) return existingFor(id, fingerprint);
      const state = initialState(id, handle.firstExecutionRunId, command.kind, createdAt);
      const snapshot = { state, revision: revisionOf(state), uiUrl: uiUrl(id, state.runId) };
      return command.callback
        ? { ...snapshot, state: { ...state, callback: command.callback }, deliveries: [] }
        : snapshot;
    },

    get,

    async waitForEnd(id, timeoutMs, signal) {
      if (!isProcessId(id)) return undefined;
      if (states.cachedEnd(id) || signal?.aborted) return get(id);
      const stopWaiting = metrics.waitStarted();
      try {
        return await joinWait(id, timeoutMs, signal);
      } finally {
        stopWaiting();
      }
    },

    watch(id, listener) {
      let watch = watches.get(id);
      if (!watch) {
        watch = new SharedWatch(id, get, options.watchIntervalMs ?? 500, (done) => {
          if (watches.get(id) === done) watches.delete(id);
        });
        watches.set(id, watch);
      }
      const unsubscribe = watch.subscribe(listener);
      const streamClosed = metrics.streamOpened();
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        streamClosed();
        unsubscribe();
      };
    },
    async cancel(id) {
      const found = await get(id);
      if (!found) return undefined;
      if (isTerminal(found.state.status)) return { outcome: 'already-ended', snapshot: found };
      await states.handleOf(id).cancel();
      return {
        outcome: 'requested',
        snapshot: { ...found, state: { ...found.state, cancelRequested: true } },
      };
    },

    list: (filter) => listProcesses(client, filter, uiUrl),

    ready: () => checkTemporal(client),
  };
}

/** The server-side time of a state's latest change, in milliseconds: the same on every API instance. */
function revisionOf(state: ProcessState): number {
  return Date.parse(state.updatedAt) || state.version;
}
