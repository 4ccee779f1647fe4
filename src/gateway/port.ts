/**
 * The port between the HTTP layer and Temporal: what route handlers may ask of processes, and
 * nothing of how. `temporal-gateway.ts` implements it; tests pass fakes.
 */
import type { ProcessStatus } from '../contract/process-status.js';
import type { Callback, DeliveryState } from '../contract/resources.js';
import type { KindName } from '../kinds/index.js';
import type { ProcessState } from '../shared/process-state.js';
import type { ReadinessCheck } from './readiness.js';

/** A process as the API sees it: its state plus where to inspect it in the Temporal Web UI. */
export interface ProcessSnapshot {
  state: ProcessState;
  /**
   * Orders the snapshots of one process (event ids of its event stream): milliseconds of the
   * latest change the server holds, so every API instance gives the same state the same number.
   */
  revision: number;
  uiUrl: string;
  /** Webhook deliveries so far, for a process with a callback (absent when unknown right now). */
  deliveries?: DeliveryState[];
}

/** A validated, normalized start request. */
export interface StartCommand {
  kind: KindName;
  input: unknown;
  /** Client-chosen key: the same key and body always mean the same process. */
  idempotencyKey?: string | undefined;
  /** Where to deliver webhook events (already validated against the callback policy). */
  callback?: Callback | undefined;
  /** The API URL of a process, for links in webhook payloads. */
  selfUrl: (id: string) => string;
  /**
   * Refuse the start ({@link QuotaExceededError}) while the tenant has this many processes open
   * (queued or running), as visibility counts them. An idempotent repeat is never refused.
   */
  maxOpen?: number | undefined;
  /**
   * What the workflow returns: its final state (the API's starts), or the process's result alone
   * (a Nexus operation's start, whose caller gets the workflow's result as the operation's output).
   */
  returns?: 'state' | 'result';
}

export type CancelOutcome =
  | { outcome: 'requested'; snapshot: ProcessSnapshot }
  | { outcome: 'already-ended'; snapshot: ProcessSnapshot };

export interface ListFilter {
  status?: ProcessStatus | undefined;
  kind?: KindName | undefined;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** One row of a list: what visibility knows, without asking each workflow. */
export interface ProcessSummary {
  id: string;
  kind: string;
  status: ProcessStatus;
  createdAt: string;
  completedAt?: string;
  uiUrl: string;
}

export interface ProcessPage {
  items: ProcessSummary[];
  nextCursor?: string;
}

/** The same idempotency key was used before with a different request body. */
export class IdempotencyConflictError extends Error {
  override name = 'IdempotencyConflictError';
  constructor(readonly processId: string) {
    super(`The Idempotency-Key was already used with a different request (process ${processId}).`);
  }
}

/** The tenant has as many processes open as its key allows (`StartCommand.maxOpen`). */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
  constructor(
    readonly open: number,
    readonly maxOpen: number,
  ) {
    super(`The tenant has ${open} processes open; this key allows ${maxOpen}.`);
  }
}

/** A list cursor that this API did not issue for this query. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * Everything the HTTP layer needs from Temporal. Route handlers depend on this interface only.
 * Every call names the tenant it acts for: a process of another tenant is treated as absent
 * (`undefined`, never an error that would tell it exists), lists and counts hold the tenant's
 * processes only, and idempotency keys are the tenant's own.
 */
export interface ProcessGateway {
  /**
   * Start a new process; resolves once Temporal has accepted it. With an idempotency key, a
   * repeat of the same request resolves to the existing process; a different body with the same
   * key rejects with {@link IdempotencyConflictError}; over `maxOpen`, {@link QuotaExceededError}.
   */
  start(tenant: string, command: StartCommand): Promise<ProcessSnapshot>;
  /** The current state, or `undefined` for an unknown id. Never waits long for a worker. */
  get(tenant: string, id: string): Promise<ProcessSnapshot | undefined>;
  /**
   * Wait up to `timeoutMs` for the process to end, then answer like {@link get}. Concurrent
   * waiters of one process share one server-side wait. An abort of `signal` (the API draining)
   * ends the wait early, with the current state.
   */
  waitForEnd(
    tenant: string,
    id: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ProcessSnapshot | undefined>;
  /** Ask the process to cancel; `undefined` for an unknown id. */
  cancel(tenant: string, id: string): Promise<CancelOutcome | undefined>;
  /** A page of processes, from Temporal visibility. Rejects with {@link InvalidCursorError}. */
  list(tenant: string, filter: ListFilter): Promise<ProcessPage>;
  /**
   * Follow a process: `listener` gets the current snapshot, then each change, until the process
   * ends (or `undefined` if it does not exist). Every follower of one process on this API
   * instance shares one watch. Returns the unsubscribe function.
   */
  watch(tenant: string, id: string, listener: (snapshot: ProcessSnapshot | undefined) => void): () => void;
  /**
   * Whether Temporal can serve longrun (for /readyz): the server answers, the namespace exists and
   * has longrun's search attributes. One check per condition, the failing ones naming what is missing.
   */
  ready(): Promise<ReadinessCheck[]>;
}
