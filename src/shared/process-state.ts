/**
 * The state of one process, as the orchestrator workflow keeps it (and returns it when it ends).
 * Pure data and pure functions: imported by workflow code, so no Node APIs here.
 */
import type { ProcessStatus } from '../contract/process-status.js';
import type { Callback, ProcessError, Progress, RetryInfo } from '../contract/resources.js';

/** What the orchestrator knows about a process. Timestamps are ISO 8601 strings. */
export interface ProcessState {
  id: string;
  /** The workflow's own change counter (the API's event ids come from the server's timestamps instead). */
  version: number;
  /** The first run of the process's workflow (for links into the Web UI). */
  runId: string;
  kind: string;
  status: ProcessStatus;
  progress: Progress;
  /** The runner's current or last attempt, from 1; 0 while no attempt has started. */
  attempt: number;
  /** While a failed attempt waits for its retry (read from the server; the workflow never sets it). */
  retry?: RetryInfo;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  /** Set once someone asked to cancel; the status turns `canceled` when the runner has stopped. */
  cancelRequested?: boolean;
  result?: unknown;
  error?: ProcessError;
  /** Where to send webhook events, if the client asked for them. */
  callback?: Callback;
}

export function initialState(id: string, runId: string, kind: string, createdAt: string): ProcessState {
  return {
    id,
    version: 1,
    runId,
    kind,
    status: 'queued',
    progress: { percent: 0, message: 'queued' },
    attempt: 0,
    createdAt,
    updatedAt: createdAt,
  };
}

/**
 * Whether a value is the state of process `id`: what the orchestrator returns or attaches, unless
 * it was started as a Nexus operation (then it returns the process's result alone).
 */
export function isProcessState(value: unknown, id: string): value is ProcessState {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<ProcessState>).id === id &&
    typeof (value as Partial<ProcessState>).status === 'string'
  );
}

/** Clamp to 0..100 and keep one decimal, so that noise in a runner's arithmetic does not leak out. */
export function clampPercent(percent: number): number {
  if (Number.isNaN(percent)) return 0;
  return Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
}
