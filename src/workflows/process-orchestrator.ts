import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  ParentClosePolicy,
  isCancellation,
  log,
  proxyActivities,
  startChild,
  type ChildWorkflowHandle,
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
  isTerminal,
  type ProcessError,
  type ProcessState,
} from '../shared/process-state.js';
import { toProcessResource, uiLink } from '../shared/process-resource.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import { statusSearchAttribute } from '../shared/search-attributes.js';
import {
  runnerProgressSignal,
  runnerStartedSignal,
  statusQuery,
  webhookEventSignal,
  webhookEventsEndSignal,
} from '../shared/signals.js';
import {
  deliveriesWorkflowId,
  type Callback,
  type WebhookEvent,
  type WebhookEventType,
} from '../shared/webhooks.js';
import { webhookDeliveries } from './webhook-deliveries.js';

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

  const runner = proxyActivities<RunnerActivities>(runnerOptions(args.policy, args.summary))[
    args.kind as keyof RunnerActivities
  ] as ((input: unknown) => Promise<unknown>) | undefined;

  let failure: Error | undefined;
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
  } catch (err) {
    if (isCancellation(err)) {
      update({
        status: 'canceled',
        cancelRequested: true,
        completedAt: new Date().toISOString(),
        progress: { percent: state.progress.percent, message: 'canceled' },
      });
      failure = new CancelledFailure('process canceled', [state]);
    } else {
      const error = toProcessError(err);
      update({ status: 'failed', error, completedAt: new Date().toISOString() });
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
  return state;
}

/**
 * Sends the process's subscribed status events to its webhook deliveries workflow, a child
 * started on the first event that is abandoned (not cancelled) when this workflow closes.
 */
class WebhookNotifier {
  private deliveries: ChildWorkflowHandle<typeof webhookDeliveries> | undefined;
  private sending: Promise<void> = Promise.resolve();
  private lastSubscribedSent = false;

  constructor(
    private readonly args: ProcessOrchestratorInput,
    private readonly callback: Callback,
  ) {}

  statusChanged(state: ProcessState): void {
    const type = `process.${state.status}` as WebhookEventType;
    if (!this.callback.events.includes(type)) return;
    const info = workflowInfo();
    const event: WebhookEvent = {
      // One event per status and process: stable across every delivery attempt.
      id: `msg_${state.id}_${state.status}`,
      type,
      timestamp: state.updatedAt,
      data: toProcessResource(state, {
        self: this.args.links?.self ?? '',
        ui: uiLink(this.args.links?.uiBaseUrl ?? '', info.namespace, info.workflowId, state.runId),
      }),
    };
    if (isTerminal(state.status)) this.lastSubscribedSent = true;
    // Never cancelled with the process: a canceled process still tells its subscriber.
    this.sending = this.sending.then(() =>
      CancellationScope.nonCancellable(() => this.send(event)).catch((err: unknown) =>
        log.warn('could not hand a webhook event to its deliveries workflow', { error: String(err) }),
      ),
    );
  }

  async finish(): Promise<void> {
    await this.sending;
    if (this.deliveries && !this.lastSubscribedSent) {
      const deliveries = this.deliveries;
      await CancellationScope.nonCancellable(() => deliveries.signal(webhookEventsEndSignal));
    }
  }

  private async send(event: WebhookEvent): Promise<void> {
    if (this.deliveries) return this.deliveries.signal(webhookEventSignal, event);
    this.deliveries = await startChild(webhookDeliveries, {
      workflowId: deliveriesWorkflowId(this.args.id),
      args: [{ processId: this.args.id, url: this.callback.url, firstEvent: event }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `webhooks of process ${this.args.id} → ${this.callback.url}`,
    });
  }
}

function describe(state: ProcessState): string {
  const head = `**${state.status}${state.cancelRequested && !isTerminal(state.status) ? ' (cancel requested)' : ''}** ${state.progress.percent}%`;
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
