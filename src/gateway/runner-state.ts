/**
 * A running process's state, derived from what the server holds of its runner: the pending
 * activity (from describe) or, once it is done, the activity's events in history.
 */
import type { LoadedDataConverter } from '@temporalio/common';
// A CommonJS module: take its namespace from the default export under ESM.
import proto from '@temporalio/proto';
import type { ProcessError } from '../contract/resources.js';
import type { RunnerHeartbeat } from '../shared/heartbeat.js';
import type { ProcessState } from '../shared/process-state.js';
import { decodeFirst } from './payloads.js';
import { timestampMs, timestampToIso } from './timestamps.js';

const { PendingActivityState } = proto.temporal.api.enums.v1;
type PendingActivity = proto.temporal.api.workflow.v1.IPendingActivityInfo;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Failure = proto.temporal.api.failure.v1.IFailure;

/** The state while the runner activity is pending: queued, running, or waiting for a retry. */
export async function runnerState(
  base: ProcessState,
  activity: PendingActivity,
  converter: LoadedDataConverter,
): Promise<ProcessState> {
  const heartbeat = await decodeFirst<RunnerHeartbeat<unknown>>(
    converter,
    activity.heartbeatDetails?.payloads,
  );
  const attempt = activity.attempt ?? 1;
  const cancelRequested = activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  const startedAt = timestampMs(activity.lastStartedTime);
  // The server keeps the last started time of the current attempt only while it runs.
  const started =
    activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED ||
    ((cancelRequested || activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED) &&
      startedAt !== undefined);
  const common = { ...base, ...(cancelRequested && { cancelRequested: true }) };

  if (started) {
    // A new attempt shows its predecessor's last report until it reports itself.
    const own = heartbeat?.attempt === attempt;
    const reportedAt = own && heartbeat?.at ? Date.parse(heartbeat.at) : undefined;
    const updatedAt = Math.max(startedAt ?? 0, reportedAt ?? 0) || Date.parse(base.updatedAt);
    return {
      ...common,
      status: 'running',
      attempt,
      progress:
        heartbeat && own
          ? heartbeat.progress
          : {
              percent: heartbeat?.progress.percent ?? 0,
              message: heartbeat
                ? `attempt ${attempt} resuming after ${heartbeat.progress.message}`
                : `attempt ${attempt} started`,
            },
      updatedAt: new Date(updatedAt).toISOString(),
    };
  }

  if (attempt <= 1 && !activity.lastFailure) return { ...common, status: 'queued', attempt: 0 };

  // A failed attempt waits for its retry: that is not running, and the server says when it is due.
  const dueAt = timestampToIso(activity.nextAttemptScheduleTime);
  const failedAt = timestampToIso(activity.lastAttemptCompleteTime);
  return {
    ...common,
    status: 'queued',
    attempt: attempt - 1,
    progress: { percent: heartbeat?.progress.percent ?? 0, message: `waiting for attempt ${attempt}` },
    retry: {
      attempt,
      ...(dueAt && Date.parse(dueAt) > Date.now() && { dueAt }),
      lastFailure: failureOf(activity.lastFailure),
    },
    updatedAt: failedAt ?? base.updatedAt,
  };
}

/**
 * The state while no runner activity is pending: the workflow has not scheduled it yet (no
 * worker has run its first task), or the runner is done and the workflow is finishing.
 */
export function finishingState(base: ProcessState, events: HistoryEvent[]): ProcessState {
  const started = events.filter((e) => e.activityTaskStartedEventAttributes).at(-1);
  const ended = events
    .filter(
      (e) =>
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes,
    )
    .at(-1);
  if (!ended) return base; // not scheduled yet: queued
  const attempt = started?.activityTaskStartedEventAttributes?.attempt ?? 1;
  const succeeded =
    ended.activityTaskCompletedEventAttributes !== undefined &&
    ended.activityTaskCompletedEventAttributes !== null;
  return {
    ...base,
    status: started ? 'running' : 'queued',
    attempt: started ? attempt : 0,
    progress: { percent: succeeded ? 100 : base.progress.percent, message: 'finishing' },
    updatedAt: timestampToIso(ended.eventTime) ?? base.updatedAt,
  };
}

function failureOf(failure: Failure | null | undefined): ProcessError {
  return {
    type:
      failure?.applicationFailureInfo?.type ||
      (failure?.timeoutFailureInfo ? 'RunnerTimedOut' : 'RunnerFailed'),
    title: 'The attempt failed',
    detail: failure?.message ?? 'unknown',
  };
}
