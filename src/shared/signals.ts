import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProcessState, Progress } from './process-state.js';
import type { DeliveryAttempt, DeliveryState, WebhookEvent } from './webhooks.js';

/** A runner attempt has really started (sent by the runner itself, once per attempt). */
export interface RunnerStarted {
  attempt: number;
  /** The checkpoint step the attempt resumes after, if any (for the progress message). */
  resumedFrom?: string;
}

/** A runner reports progress (rate-limited by the runner; see `ProgressReporter`). */
export interface RunnerProgress extends Progress {
  attempt: number;
}

export const statusQuery = defineQuery<ProcessState>('status');
export const runnerStartedSignal = defineSignal<[RunnerStarted]>('runnerStarted');
export const runnerProgressSignal = defineSignal<[RunnerProgress]>('runnerProgress');

/** Webhook deliveries workflow: a new event to deliver, and the end of events. */
export const webhookEventSignal = defineSignal<[WebhookEvent]>('webhookEvent');
export const webhookEventsEndSignal = defineSignal('webhookEventsEnd');
/** From the delivery activity: an attempt that did not deliver. */
export const deliveryAttemptSignal = defineSignal<[DeliveryAttempt]>('deliveryAttempt');
export const deliveriesQuery = defineQuery<DeliveryState[]>('deliveries');
