import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunnerActivities } from '../activities/index.js';
import { FailureType } from '../shared/failures.js';
import {
  clampPercent,
  initialState,
  type ProcessError,
  type ProcessState,
  type ProcessStatus,
} from '../shared/process-state.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import { statusSearchAttribute } from '../shared/search-attributes.js';
import { runnerProgressSignal, runnerStartedSignal, statusQuery } from '../shared/signals.js';

/** The orchestrator's input, fixed at start and recorded in history. */
export interface ProcessOrchestratorInput {
  id: string;
  kind: string;
  /** The runner's input, already validated and normalized by the API. */
  input: unknown;
  /** The kind's runner policy at the time of the start. */
  policy: RunnerPolicy;
  /** One line describing the work, shown as the runner activity's summary in the Web UI. */
  summary: string;
  createdAt: string;
}

/**
 * Activity options for the runner: every timeout and the retry policy, in one place.
 * The values come from the kind's policy so that each kind decides its own.
 */
function runnerOptions(policy: RunnerPolicy, summary: string) {
  return {
    startToCloseTimeout: policy.startToCloseTimeout,
    heartbeatTimeout: policy.heartbeatTimeout,
    retry: policy.retry,
    // On cancel, wait for the runner to stop and clean up before the process counts as canceled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary,
  };
}

/**
 * One workflow per process: owns its status, exposes it by query, runs the kind's runner under
 * the kind's policy, and ends with the final state (or fails with it attached as details).
 */
export async function processOrchestrator(args: ProcessOrchestratorInput): Promise<ProcessState> {
  let state = initialState(args.id, workflowInfo().firstExecutionRunId, args.kind, args.createdAt);

  const update = (patch: Partial<ProcessState>): void => {
    const statusChanged = patch.status !== undefined && patch.status !== state.status;
    state = { ...state, ...patch, updatedAt: new Date().toISOString() };
    if (statusChanged) upsertSearchAttributes([{ key: statusSearchAttribute, value: state.status }]);
    setCurrentDetails(describe(state));
  };

  // Handlers first, before any await, so that no query or signal ever finds them missing.
  setHandler(statusQuery, () => state);
  setHandler(runnerStartedSignal, ({ attempt, resumedFrom }) => {
    if (attempt < state.attempt || isFinished(state.status)) return;
    update({
      status: 'running',
      attempt,
      progress: {
        percent: state.progress.percent,
        message: resumedFrom
          ? `attempt ${attempt} resuming after ${resumedFrom}`
          : `attempt ${attempt} started`,
      },
    });
  });
  setHandler(runnerProgressSignal, ({ attempt, percent, message }) => {
    // A late report from an earlier attempt must not overwrite the current one.
    if (attempt < state.attempt || isFinished(state.status)) return;
    update({ status: 'running', attempt, progress: { percent: clampPercent(percent), message } });
  });
  // A cancel request is visible at once; the runner learns of it through its next heartbeat.
  CancellationScope.current().cancelRequested.catch(() => {
    if (!isFinished(state.status)) update({ cancelRequested: true });
  });
  setCurrentDetails(describe(state));

  const runner = proxyActivities<RunnerActivities>(runnerOptions(args.policy, args.summary))[
    args.kind as keyof RunnerActivities
  ] as ((input: unknown) => Promise<unknown>) | undefined;

  try {
    if (!runner)
      throw ApplicationFailure.nonRetryable(`No runner for kind "${args.kind}"`, FailureType.UnknownKind);
    const result = await runner(args.input);
    update({
      status: 'succeeded',
      result,
      completedAt: new Date().toISOString(),
      progress: { percent: 100, message: 'succeeded' },
    });
    return state;
  } catch (err) {
    if (isCancellation(err)) {
      update({
        status: 'canceled',
        cancelRequested: true,
        completedAt: new Date().toISOString(),
        progress: { percent: state.progress.percent, message: 'canceled' },
      });
      throw new CancelledFailure('process canceled', [state]);
    }
    const error = toProcessError(err);
    update({ status: 'failed', error, completedAt: new Date().toISOString() });
    // Fail the workflow (red in the Web UI) with the final state attached, so the API can
    // answer for a closed process from history alone, without a worker.
    throw ApplicationFailure.create({
      type: error.type,
      message: error.detail,
      nonRetryable: true,
      details: [state],
      cause: err instanceof Error ? err : undefined,
    });
  }
}

function isFinished(status: ProcessStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

function describe(state: ProcessState): string {
  const head = `**${state.status}${state.cancelRequested && !isFinished(state.status) ? ' (cancel requested)' : ''}** ${state.progress.percent}%`;
  const attempt = state.attempt > 0 ? ` · attempt ${state.attempt}` : '';
  return `${head}${attempt} · ${state.progress.message}`;
}

/** Map whatever ended the runner to the typed error a client sees. */
function toProcessError(err: unknown): ProcessError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const retriesExhausted = err instanceof ActivityFailure && !cause.nonRetryable;
    return {
      type: cause.type ?? FailureType.RunnerFailed,
      title: retriesExhausted ? 'The runner failed on every attempt' : 'The runner failed',
      detail: cause.message,
    };
  }
  if (cause instanceof TimeoutFailure) {
    return {
      type: FailureType.RunnerTimedOut,
      title: 'The runner timed out',
      detail: cause.message || 'the last attempt exceeded its timeout',
    };
  }
  return {
    type: FailureType.RunnerFailed,
    title: 'The runner failed',
    detail: err instanceof Error ? err.message : String(err),
  };
}
