import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { RunnerActivities } from '../activities/index.js';
import { FailureType } from '../contract/failure-types.js';
import { isTerminal } from '../contract/process-status.js';
import type { Callback } from '../contract/resources.js';
import { clampPercent, initialState, type ProcessState } from '../shared/process-state.js';
import { statusQuery } from '../shared/queries.js';
import { finalStateMemo, heartbeatProgressPatch, nexusResultPatch } from '../shared/orchestrator-versions.js';
import { isRunnerOutcome, runnerActivityId } from '../shared/runner-outcome.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import { statusSearchAttribute } from '../shared/search-attributes.js';
import { runnerProgressSignal, runnerStartedSignal } from '../shared/signals.js';
import { WebhookNotifier } from '../webhooks/notifier.js';
import { attemptOfFailure, toProcessError } from './process-errors.js';

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
  /** Where the process's webhook events go, if anywhere. */
  callback?: Callback;
  /** For webhook payloads: the process's API URL and the Web UI's base URL. */
  links?: { self: string; uiBaseUrl: string };
  /**
   * What the workflow returns: its final state (absent, the API's starts), or the process's
   * result alone (a Nexus operation's start: the caller gets it as the operation's output).
   */
  returns?: 'state' | 'result';
}

/**
 * Activity options for the runner: every timeout and the retry policy, in one place.
 * The values come from the kind's policy so that each kind decides its own.
 */
function runnerOptions(policy: RunnerPolicy, summary: string): ActivityOptions {
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
 *
 * Its history stays bounded whatever the runner reports: progress travels in heartbeats (read by
 * the API from the server), and the runner tells the workflow of an attempt once, only if the
 * attempt lasts (see `ProgressReporter`); the outcome names the attempt it came from.
 *
 * Started as a Nexus operation (`returns: 'result'`), it returns the process's result alone and
 * keeps the final state in its memo; readers check which they got (see `isProcessState`).
 */
export async function processOrchestrator(args: ProcessOrchestratorInput): Promise<unknown> {
  let state: ProcessState = {
    ...initialState(args.id, workflowInfo().firstExecutionRunId, args.kind, args.createdAt),
    ...(args.callback && { callback: args.callback }),
  };
  const webhooks = args.callback ? new WebhookNotifier(args, args.callback) : undefined;

  const update = (patch: Partial<ProcessState>): void => {
    const statusChanged = patch.status !== undefined && patch.status !== state.status;
    state = { ...state, ...patch, version: state.version + 1, updatedAt: new Date().toISOString() };
    if (statusChanged) {
      upsertSearchAttributes([{ key: statusSearchAttribute, value: state.status }]);
      webhooks?.statusChanged(state);
    }
    setCurrentDetails(describe(state));
  };

  // Handlers first, before any await, so that no query or signal ever finds them missing.
  setHandler(statusQuery, () => state);
  setHandler(runnerStartedSignal, ({ attempt, resumedFrom }) => {
    if (attempt < state.attempt || isTerminal(state.status)) return;
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
    if (attempt < state.attempt || isTerminal(state.status)) return;
    update({ status: 'running', attempt, progress: { percent: clampPercent(percent), message } });
  });
  // A cancel request is visible at once; the runner learns of it through its next heartbeat.
  CancellationScope.current().cancelRequested.catch(() => {
    if (!isTerminal(state.status)) update({ cancelRequested: true });
  });
  setCurrentDetails(describe(state));

  // From this version on, the runner names its attempt in its outcome (asked for by activity id).
  const heartbeatProgress = patched(heartbeatProgressPatch);
  const options = runnerOptions(args.policy, args.summary);
  const runner = proxyActivities<RunnerActivities>(
    heartbeatProgress ? { ...options, activityId: runnerActivityId } : options,
  )[args.kind as keyof RunnerActivities] as ((input: unknown) => Promise<unknown>) | undefined;

  /**
   * The runner ended an attempt that never told the workflow it ran (it lasted under a second):
   * it did run, so subscribers hear `process.running` before how it ended.
   */
  const ranUnnoticed = (attempt: number | undefined): void => {
    if (!heartbeatProgress || attempt === undefined || state.status !== 'queued') return;
    state = {
      ...state,
      status: 'running',
      attempt,
      version: state.version + 1,
      updatedAt: new Date().toISOString(),
    };
    webhooks?.statusChanged(state);
  };

  let failure: Error | undefined;
  try {
    if (!runner)
      throw ApplicationFailure.nonRetryable(`No runner for kind "${args.kind}"`, FailureType.UnknownKind);
    const outcome = await runner(args.input);
    const { result, attempt } =
      heartbeatProgress && isRunnerOutcome(outcome)
        ? { result: outcome.result, attempt: outcome.longrunAttempt }
        : { result: outcome, attempt: undefined };
    ranUnnoticed(attempt);
    update({
      status: 'succeeded',
      result,
      attempt: attempt ?? state.attempt,
      completedAt: new Date().toISOString(),
      progress: { percent: 100, message: 'succeeded' },
    });
  } catch (err) {
    const ended = heartbeatProgress ? attemptOfFailure(err, args.policy) : undefined;
    ranUnnoticed(ended?.attempt);
    const attempt = ended?.attempt ?? state.attempt;
    // Progress travels in heartbeats, not to the workflow: the runner's failure says how far it got.
    const progress = ended?.progress ?? state.progress;
    if (isCancellation(err)) {
      update({
        status: 'canceled',
        cancelRequested: true,
        attempt,
        completedAt: new Date().toISOString(),
        progress: { percent: progress.percent, message: 'canceled' },
      });
      // A canceled workflow's close event carries no details: keep the final state in the memo.
      if (heartbeatProgress) upsertMemo({ [finalStateMemo]: state });
      failure = new CancelledFailure('process canceled', [state]);
    } else {
      const error = toProcessError(err);
      update({ status: 'failed', error, attempt, progress, completedAt: new Date().toISOString() });
      // Fail the workflow (red in the Web UI) with the final state attached, so the API can
      // answer for a closed process from history alone, without a worker.
      failure = ApplicationFailure.create({
        type: error.type,
        message: error.detail,
        nonRetryable: true,
        details: [state],
        cause: err instanceof Error ? err : undefined,
      });
    }
  }
  // Hand the last event to the deliveries workflow; it delivers after this one has closed.
  await webhooks?.finish();
  if (failure) throw failure;
  // Only starts that ask for it reach patched(): recorded histories without the field replay as before.
  if (args.returns === 'result' && patched(nexusResultPatch)) {
    upsertMemo({ [finalStateMemo]: state });
    return state.result;
  }
  return state;
}

function describe(state: ProcessState): string {
  const head = `**${state.status}${state.cancelRequested && !isTerminal(state.status) ? ' (cancel requested)' : ''}** ${state.progress.percent}%`;
  const attempt = state.attempt > 0 ? ` · attempt ${state.attempt}` : '';
  return `${head}${attempt} · ${state.progress.message}`;
}
