/**
 * The API↔Temporal boundary: the {@link ProcessGateway} over a Temporal client. It composes the
 * folder's parts (ids, start options, the state reader, visibility, shared waits and watches)
 * and maps Temporal's errors to the port's: not found (or another tenant's) → `undefined`, an
 * idempotent repeat → the existing process, the same key with another body →
 * {@link IdempotencyConflictError}, over the tenant's quota → {@link QuotaExceededError}.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { isTerminal } from '../contract/process-status.js';
import type { DeliveryState } from '../contract/resources.js';
import { initialState, type ProcessState } from '../shared/process-state.js';
import { uiLink } from '../shared/process-resource.js';
import type { processOrchestrator } from '../workflows/index.js';
import { DeliveriesReader } from './deliveries.js';
import { workflowIdOf } from './ids.js';
import { noGatewayMetrics, type GatewayMetrics } from './metrics.js';
import {
  IdempotencyConflictError,
  QuotaExceededError,
  type ProcessGateway,
  type ProcessSnapshot,
  type StartCommand,
} from './port.js';
import { StateReader } from './read-state.js';
import { checkTemporal } from './readiness.js';
import { SharedWait, waitThroughFailures } from './shared-wait.js';
import { SharedWatch } from './shared-watch.js';
import { orchestratorWorkflowType, processStart } from './start-options.js';
import { countOpenProcesses, listProcesses } from './visibility.js';

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

  /** The process, if it is the tenant's; another tenant's is as absent as an unknown one. */
  async function get(tenant: string, id: string): Promise<ProcessSnapshot | undefined> {
    const read = await states.read(id);
    return read && read.tenant === tenant ? snapshotOf(read.state) : undefined;
  }

  /** For a shared watch, whose followers were each checked: the process whoever's it is. */
  async function getChecked(id: string): Promise<ProcessSnapshot | undefined> {
    const read = await states.read(id);
    return read && snapshotOf(read.state);
  }

  /** Resolve an idempotent start against the process that already holds the key's id. */
  async function existingFor(tenant: string, id: string, fingerprint: string): Promise<ProcessSnapshot> {
    const description = await states.handleOf(id).describe();
    if (description.memo?.requestFingerprint !== fingerprint) throw new IdempotencyConflictError(id);
    const found = await get(tenant, id);
    if (!found) throw new Error(`process ${id} vanished while resolving its idempotency key`);
    return found;
  }

  /** Join (or begin) the one server-side wait of this process; answer like `get` when it ends or not. */
  async function joinWait(
    tenant: string,
    id: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ProcessSnapshot | undefined> {
    let wait = waits.get(id);
    if (!wait) {
      wait = new SharedWait(
        (aborted) =>
          waitThroughFailures(() => client.withAbortSignal(aborted, () => states.waitForEnd(id)), aborted),
        (done) => {
          if (waits.get(id) === done) waits.delete(id);
        },
      );
      waits.set(id, wait);
    }
    const ended = await wait.join(timeoutMs, signal);
    return ended ? snapshotOf(ended) : get(tenant, id);
  }

  /**
   * Over quota, a start is refused, unless it repeats a keyed start that already made its
   * process (a client retrying a lost answer must get that process, not a 429).
   */
  async function checkQuota(tenant: string, id: string, command: StartCommand): Promise<void> {
    if (command.maxOpen === undefined) return;
    const open = await countOpenProcesses(client, tenant);
    if (open < command.maxOpen) return;
    if (command.idempotencyKey !== undefined && (await states.belongsTo(id, tenant))) return;
    throw new QuotaExceededError(open, command.maxOpen);
  }

  return {
    async start(tenant, command) {
      const { id, createdAt, fingerprint, startOptions } = processStart(tenant, command, options);
      await checkQuota(tenant, id, command);
      let handle;
      try {
        handle = await client.workflow.start<typeof processOrchestrator>(
          orchestratorWorkflowType,
          startOptions,
        );
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError && fingerprint !== undefined) {
          return existingFor(tenant, id, fingerprint);
        }
        throw err;
      }
      const state = initialState(id, handle.firstExecutionRunId, command.kind, createdAt);
      states.remember(state, tenant);
      metrics.processStarted(command.kind);
      if (fingerprint !== undefined) return existingFor(tenant, id, fingerprint);
      const snapshot = { state, revision: revisionOf(state), uiUrl: uiUrl(id, state.runId) };
      return command.callback
        ? { ...snapshot, state: { ...state, callback: command.callback }, deliveries: [] }
        : snapshot;
    },

    get,

    async waitForEnd(tenant, id, timeoutMs, signal) {
      if (!(await states.belongsTo(id, tenant))) return undefined;
      const ended = states.cachedEnd(id);
      if (ended) return snapshotOf(ended.state);
      if (signal?.aborted) return get(tenant, id);
      const stopWaiting = metrics.waitStarted();
      try {
        return await joinWait(tenant, id, timeoutMs, signal);
      } finally {
        stopWaiting();
      }
    },

    watch(tenant, id, listener) {
      let unsubscribe: (() => void) | undefined;
      let stopped = false;
      const follow = (): void => {
        let watch = watches.get(id);
        if (!watch) {
          watch = new SharedWatch(id, getChecked, options.watchIntervalMs ?? 500, (idle) => {
            if (watches.get(id) === idle) watches.delete(id);
          });
          watches.set(id, watch);
        }
        const unsubscribeWatch = watch.subscribe(listener);
        const streamClosed = metrics.streamOpened();
        unsubscribe = () => {
          streamClosed();
          unsubscribeWatch();
        };
      };
      // Known at once when this instance has seen the process (the event route has just read it).
      states.belongsTo(id, tenant).then(
        (owned) => {
          if (stopped) return;
          if (owned) follow();
          else listener(undefined);
        },
        () => {
          if (!stopped) listener(undefined);
        },
      );
      return () => {
        if (stopped) return;
        stopped = true;
        unsubscribe?.();
      };
    },

    async cancel(tenant, id) {
      const found = await get(tenant, id);
      if (!found) return undefined;
      if (isTerminal(found.state.status)) return { outcome: 'already-ended', snapshot: found };
      await states.handleOf(id).cancel();
      return {
        outcome: 'requested',
        snapshot: { ...found, state: { ...found.state, cancelRequested: true } },
      };
    },

    list: (tenant, filter) => listProcesses(client, tenant, filter, uiUrl),

    ready: () => checkTemporal(client),
  };
}

/** The server-side time of a state's latest change, in milliseconds: the same on every API instance. */
function revisionOf(state: ProcessState): number {
  return Date.parse(state.updatedAt) || state.version;
}
