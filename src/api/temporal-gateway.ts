import { createHash, randomUUID } from 'node:crypto';
import {
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
// A CommonJS module: take its namespace from the default export under ESM.
import proto from '@temporalio/proto';
import { runnerKinds } from '../activities/registry.js';
import type { RunnerHeartbeat } from '../activities/progress.js';
import { FailureType } from '../shared/failures.js';
import {
  initialState,
  isTerminal,
  processStatuses,
  type ProcessState,
  type ProcessStatus,
} from '../shared/process-state.js';
import { kindSearchAttribute, statusSearchAttribute } from '../shared/search-attributes.js';
import { uiLink } from '../shared/process-resource.js';
import { deliveriesQuery, statusQuery } from '../shared/signals.js';
import { deliveriesWorkflowId, type DeliveryState } from '../shared/webhooks.js';
import type { webhookDeliveries } from '../workflows/index.js';
import { processOrchestrator } from '../workflows/index.js';
import {
  IdempotencyConflictError,
  InvalidCursorError,
  type ListFilter,
  type ProcessGateway,
  type ProcessSnapshot,
  type ProcessSummary,
  type StartCommand,
} from './gateway.js';

export interface TemporalGatewayOptions {
  client: Client;
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for deep links. */
  uiBaseUrl: string;
  /** How long a status query may wait for a worker before falling back to describe. */
  queryTimeoutMs: number;
  /** How many terminal processes to remember (they never change). */
  terminalCacheSize: number;
  /** How often a shared watch (event streams) looks for changes. */
  watchIntervalMs?: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const workflowType = processOrchestrator.name;

/** Process ids are UUIDs: random ones, or derived from an idempotency key. */
export function isProcessId(id: string): boolean {
  return uuidPattern.test(id);
}

/** The Temporal workflow id of a process: the process id itself, so the Web UI finds it as is. */
export function workflowIdOf(processId: string): string {
  return processId;
}

/**
 * The process id for an idempotency key: a name-based UUID (version 8) from SHA-256, so every
 * API instance maps the same key to the same workflow id without any shared store.
 */
export function processIdForKey(idempotencyKey: string): string {
  const bytes = createHash('sha256')
    .update(`longrun:idempotency-key:${idempotencyKey}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Fingerprint of a start request, kept in the workflow's memo to detect key reuse with another body. */
function requestFingerprint({ kind, input, callback }: StartCommand): string {
  return createHash('sha256').update(canonicalJson({ kind, input, callback })).digest('base64url');
}

/**
 * How a process's workflow is started: its id, arguments, id policies, Web UI metadata and search
 * attributes. Exported so that the benchmarks' raw baseline starts exactly the same workflow.
 */
export function processStart(
  command: StartCommand,
  settings: Pick<TemporalGatewayOptions, 'taskQueue' | 'uiBaseUrl'>,
) {
  const { kind, input, idempotencyKey, callback } = command;
  const id = idempotencyKey === undefined ? randomUUID() : processIdForKey(idempotencyKey);
  // Only a keyed start can meet an earlier request to compare with; others skip the hashing.
  const fingerprint = idempotencyKey === undefined ? undefined : requestFingerprint(command);
  const createdAt = new Date().toISOString();
  const runner = runnerKinds[kind];
  const summary = runner.summarize(input as never);
  const startOptions = {
    taskQueue: settings.taskQueue,
    workflowId: workflowIdOf(id),
    args: [
      {
        id,
        kind,
        input,
        policy: runner.policy,
        summary,
        createdAt,
        ...(callback && { callback, links: { self: command.selfUrl(id), uiBaseUrl: settings.uiBaseUrl } }),
      },
    ] as Parameters<typeof processOrchestrator>,
    // With a key, concurrent duplicates attach to the running workflow, and a closed one is
    // never started again while Temporal retains it: one key, one process.
    workflowIdConflictPolicy:
      idempotencyKey === undefined ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    ...(fingerprint && { memo: { requestFingerprint: fingerprint } }),
    staticSummary: `${kind} · ${summary}`,
    staticDetails: `Process \`${id}\`\n\nInput:\n\`\`\`json\n${JSON.stringify(input, null, 2)}\n\`\`\``,
    typedSearchAttributes: [
      { key: kindSearchAttribute, value: kind },
      { key: statusSearchAttribute, value: 'queued' },
    ],
  };
  return { id, createdAt, fingerprint, startOptions };
}

/** The API↔Temporal boundary: ids, start, query/describe, cancel, list and error mapping live here only. */
export function createTemporalGateway(options: TemporalGatewayOptions): ProcessGateway {
  const { client, queryTimeoutMs } = options;
  const namespace = client.options.namespace;
  const terminal = new LruCache<ProcessState>(options.terminalCacheSize);
  const endedDeliveries = new LruCache<DeliveryState[]>(options.terminalCacheSize);
  /** The last state each running process reported by query, for when only describe answers. */
  const lastQueried = new LruCache<ProcessState>(options.terminalCacheSize);
  const waits = new Map<string, SharedWait>();
  const watches = new Map<string, SharedWatch>();

  const uiUrl = (id: string, runId?: string): string =>
    uiLink(options.uiBaseUrl, namespace, workflowIdOf(id), runId);

  const snapshot = (state: ProcessState, deliveries?: DeliveryState[]): ProcessSnapshot => {
    if (isTerminal(state.status)) terminal.set(state.id, state);
    return { state, uiUrl: uiUrl(state.id, state.runId), ...(deliveries && { deliveries }) };
  };

  /** A process's webhook deliveries, from its deliveries workflow; `undefined` when unknown right now. */
  async function deliveriesOf(id: string): Promise<DeliveryState[] | undefined> {
    const known = endedDeliveries.get(id);
    if (known) return known;
    const handle = client.workflow.getHandle<typeof webhookDeliveries>(deliveriesWorkflowId(id));
    try {
      return await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(deliveriesQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return []; // no event was due yet
    }
    try {
      const description = await handle.describe();
      if (description.status.name !== 'COMPLETED') return undefined;
      const deliveries = await handle.result();
      endedDeliveries.set(id, deliveries);
      return deliveries;
    } catch {
      return undefined;
    }
  }

  /** The snapshot of a state, with its deliveries if it has a callback. */
  async function complete(state: ProcessState): Promise<ProcessSnapshot> {
    return snapshot(state, state.callback ? await deliveriesOf(state.id) : undefined);
  }

  const handleOf = (id: string): WorkflowHandle<typeof processOrchestrator> =>
    client.workflow.getHandle<typeof processOrchestrator>(workflowIdOf(id));

  /** Answer from what the server knows, without a worker (describe, and history for closed runs). */
  async function fromServer(id: string): Promise<ProcessState | undefined> {
    const handle = handleOf(id);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    const status = description.status.name;
    if (status === 'RUNNING') return newest(await fromRunning(id, description), lastQueried.get(id));
    if (status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED') {
      const ended = await endedState(handle);
      if (ended) return ended;
    }
    return closedWithoutState(id, description);
  }

  /** The final state a closed orchestrator returned, or attached to its failure or cancellation. */
  async function endedState(
    handle: WorkflowHandle<typeof processOrchestrator>,
  ): Promise<ProcessState | undefined> {
    try {
      return await handle.result();
    } catch (err) {
      return attachedState(err);
    }
  }

  async function fromRunning(id: string, description: WorkflowExecutionDescription): Promise<ProcessState> {
    const base = describedState(id, description);
    const status = toStatus(description.typedSearchAttributes.get(statusSearchAttribute)) ?? 'queued';
    const activity = description.raw.pendingActivities?.[0];
    if (!activity) return { ...base, status };
    const heartbeat = await decodeFromPayloadsAtIndex<RunnerHeartbeat<unknown> | undefined>(
      client.options.loadedDataConverter,
      0,
      activity.heartbeatDetails?.payloads,
    ).catch(() => undefined);
    return {
      ...base,
      status,
      attempt: status === 'queued' ? 0 : (activity.attempt ?? 1),
      progress: heartbeat?.progress ?? base.progress,
      updatedAt: timestampToIso(activity.lastHeartbeatTime) ?? base.updatedAt,
    };
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

  async function get(id: string): Promise<ProcessSnapshot | undefined> {
    if (!isProcessId(id)) return undefined;
    const known = terminal.get(id);
    if (known) return complete(known);
    let state: ProcessState | undefined;
    try {
      // The workflow's own view is freshest; give a worker a moment to answer it.
      state = await client.withDeadline(Date.now() + queryTimeoutMs, () => handleOf(id).query(statusQuery));
      if (!isTerminal(state.status)) lastQueried.set(id, state);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      state = await fromServer(id);
    }
    return state && complete(state);
  }

  /** Resolve an idempotent start against the process that already holds the key's id. */
  async function existingFor(id: string, fingerprint: string): Promise<ProcessSnapshot> {
    const description = await handleOf(id).describe();
    if (description.memo?.requestFingerprint !== fingerprint) throw new IdempotencyConflictError(id);
    const found = await get(id);
    if (!found) throw new Error(`process ${id} vanished while resolving its idempotency key`);
    return found;
  }

  return {
    async start(command) {
      const { id, createdAt, fingerprint, startOptions } = processStart(command, options);
      let handle;
      try {
        handle = await client.workflow.start(processOrchestrator, startOptions);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError && fingerprint !== undefined) {
          return existingFor(id, fingerprint);
        }
        throw err;
      }
      if (fingerprint !== undefined) return existingFor(id, fingerprint);
      const state = initialState(id, handle.firstExecutionRunId, command.kind, createdAt);
      return command.callback ? snapshot({ ...state, callback: command.callback }, []) : snapshot(state);
    },

    get,

    async waitForEnd(id, timeoutMs) {
      if (!isProcessId(id)) return undefined;
      if (terminal.get(id)) return get(id);
      let wait = waits.get(id);
      if (!wait) {
        wait = new SharedWait(
          (signal) => client.withAbortSignal(signal, () => endedOrServer(id)),
          (done) => {
            if (waits.get(id) === done) waits.delete(id);
          },
        );
        waits.set(id, wait);
      }
      const ended = await wait.join(timeoutMs);
      return ended ? complete(ended) : get(id);
    },

    watch(id, listener) {
      let watch = watches.get(id);
      if (!watch) {
        watch = new SharedWatch(id, get, options.watchIntervalMs ?? 500, (done) => {
          if (watches.get(id) === done) watches.delete(id);
        });
        watches.set(id, watch);
      }
      return watch.subscribe(listener);
    },

    async cancel(id) {
      const found = await get(id);
      if (!found) return undefined;
      if (isTerminal(found.state.status)) return { outcome: 'already-ended', snapshot: found };
      await handleOf(id).cancel();
      return {
        outcome: 'requested',
        snapshot: { ...found, state: { ...found.state, cancelRequested: true } },
      };
    },

    async list(filter: ListFilter) {
      const query = visibilityQuery(filter);
      const response = await client.workflowService.listWorkflowExecutions({
        namespace,
        query,
        pageSize: filter.limit,
        nextPageToken: filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, query),
      });
      const items = response.executions.map((info) => summaryOf(info, uiUrl));
      const token = response.nextPageToken;
      return token && token.length > 0 ? { items, nextCursor: encodeCursor(token, query) } : { items };
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

  /** Long-poll the close event (no busy polling); terminated or timed-out runs via describe. */
  async function endedOrServer(id: string): Promise<ProcessState | undefined> {
    try {
      return await handleOf(id).result();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      const attached = attachedState(err);
      if (attached) return attached;
      if (err instanceof WorkflowFailedError) return fromServer(id);
      throw err;
    }
  }
}

/** What describe alone says of a process: its kind, run and creation, as if just queued. */
function describedState(id: string, description: WorkflowExecutionDescription): ProcessState {
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

/** The state the orchestrator attached to its failure or cancellation, if any. */
function attachedState(err: unknown): ProcessState | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const details =
    cause instanceof ApplicationFailure || cause instanceof CancelledFailure ? cause.details : undefined;
  const state = details?.[0] as ProcessState | undefined;
  return state && typeof state === 'object' && 'status' in state ? state : undefined;
}

function toStatus(value: string | undefined): ProcessStatus | undefined {
  return processStatuses.find((s) => s === value);
}

/** Visibility query for a list filter. Every value was validated by the route's schema; quotes are escaped anyway. */
function visibilityQuery(filter: ListFilter): string {
  const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const clauses = [`WorkflowType = ${quote(workflowType)}`];
  if (filter.kind) clauses.push(`${kindSearchAttribute.name} = ${quote(filter.kind)}`);
  if (filter.status) clauses.push(statusClause(filter.status, quote));
  if (filter.createdAfter) clauses.push(`StartTime > ${quote(filter.createdAfter)}`);
  if (filter.createdBefore) clauses.push(`StartTime < ${quote(filter.createdBefore)}`);
  return clauses.join(' AND ');
}

/**
 * A process's status is its `LongrunStatus` search attribute while the workflow can keep it
 * current; a workflow terminated or timed out from outside cannot, so its execution status decides.
 */
function statusClause(status: ProcessStatus, quote: (value: string) => string): string {
  const attribute = `${statusSearchAttribute.name} = ${quote(status)}`;
  switch (status) {
    case 'queued':
    case 'running':
      return `(${attribute} AND ExecutionStatus = 'Running')`;
    case 'failed':
      return `(${attribute} OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;
    case 'canceled':
      return `(${attribute} OR ExecutionStatus = 'Canceled')`;
    case 'succeeded':
      return attribute;
  }
}

const { WorkflowExecutionStatus } = proto.temporal.api.enums.v1;
type WorkflowExecutionInfo = proto.temporal.api.workflow.v1.IWorkflowExecutionInfo;

function summaryOf(
  info: WorkflowExecutionInfo,
  uiUrl: (id: string, runId?: string) => string,
): ProcessSummary {
  const attributes = decodeTypedSearchAttributes(info.searchAttributes?.indexedFields);
  const id = info.execution?.workflowId ?? '';
  const recorded = toStatus(attributes.get(statusSearchAttribute));
  const closed = info.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  let status: ProcessStatus = recorded ?? 'queued';
  if (closed && !isTerminal(status))
    status =
      info.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED ? 'canceled' : 'failed';
  const completedAt = timestampToIso(info.closeTime);
  return {
    id,
    kind: attributes.get(kindSearchAttribute) ?? 'unknown',
    status,
    createdAt: timestampToIso(info.startTime) ?? new Date(0).toISOString(),
    ...(closed && completedAt ? { completedAt } : {}),
    uiUrl: uiUrl(id, info.execution?.runId ?? undefined),
  };
}

/** Cursors are opaque to clients and bound to the query they were issued for. */
function encodeCursor(token: Uint8Array, query: string): string {
  return Buffer.from(
    JSON.stringify({ q: queryTag(query), t: Buffer.from(token).toString('base64') }),
  ).toString('base64url');
}

function decodeCursor(cursor: string, query: string): Uint8Array {
  try {
    const { q, t } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      q?: unknown;
      t?: unknown;
    };
    if (q === queryTag(query) && typeof t === 'string' && t.length > 0) return Buffer.from(t, 'base64');
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursorError('The cursor is not valid for this query; start again without it.');
}

function queryTag(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}

function timestampToIso(
  timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined,
): string | undefined {
  if (!timestamp?.seconds) return undefined;
  const ms = Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

/** JSON with object keys sorted, so equal requests have equal fingerprints. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * One server-side wait for a process's end, shared by every request waiting on it. The wait is
 * aborted when its last waiter leaves.
 */
class SharedWait {
  private waiters = 0;
  private readonly controller = new AbortController();
  private readonly ended: Promise<ProcessState | undefined>;

  constructor(
    start: (signal: AbortSignal) => Promise<ProcessState | undefined>,
    private readonly onDone: (wait: SharedWait) => void,
  ) {
    this.ended = start(this.controller.signal).finally(() => this.onDone(this));
    // A rejection is seen by the waiters; never let it go unhandled when nobody waits.
    this.ended.catch(() => {});
  }

  async join(timeoutMs: number): Promise<ProcessState | undefined> {
    this.waiters++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.ended.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
      if (--this.waiters === 0) {
        this.onDone(this);
        this.controller.abort();
      }
    }
  }
}

/** Values that never change (ended processes, their final deliveries); least recently used evicted first. */
class LruCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly capacity: number) {}

  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

/**
 * One watch of a process shared by all of its followers on this API instance: it reads the
 * process (a query: cheap, and no history) every interval while anyone follows, and tells the
 * followers when it changed, until the process ends.
 */
class SharedWatch {
  private readonly listeners = new Set<(snapshot: ProcessSnapshot | undefined) => void>();
  private last: ProcessSnapshot | undefined;
  private running = false;

  constructor(
    private readonly id: string,
    private readonly read: (id: string) => Promise<ProcessSnapshot | undefined>,
    private readonly intervalMs: number,
    private readonly onIdle: (watch: SharedWatch) => void,
  ) {}

  subscribe(listener: (snapshot: ProcessSnapshot | undefined) => void): () => void {
    this.listeners.add(listener);
    if (this.last) listener(this.last);
    if (!this.running) void this.loop();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.onIdle(this);
    };
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.listeners.size > 0) {
        let current: ProcessSnapshot | undefined;
        try {
          current = await this.read(this.id);
        } catch {
          current = this.last; // Temporal briefly unreachable: keep following
        }
        if (!current) {
          for (const listener of [...this.listeners]) listener(undefined);
          break;
        }
        if (!this.last || changed(this.last, current)) {
          this.last = current;
          for (const listener of [...this.listeners]) listener(current);
        }
        if (isTerminal(current.state.status)) break;
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    } finally {
      this.running = false;
      this.onIdle(this);
    }
  }
}

function changed(before: ProcessSnapshot, after: ProcessSnapshot): boolean {
  return (
    after.state.version !== before.state.version ||
    after.state.status !== before.state.status ||
    after.state.progress.percent !== before.state.progress.percent ||
    after.state.progress.message !== before.state.progress.message
  );
}
