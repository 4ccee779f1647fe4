/**
 * Webhook events and their delivery state. Pure data: shared by workflows, activities and the API.
 */
import type { ProcessResource } from './process-resource.js';

/** Events a callback can subscribe to: one per status a process can move to after `queued`. */
export const webhookEventTypes = [
  'process.running',
  'process.succeeded',
  'process.failed',
  'process.canceled',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The events of how a process ended: the last a process sends. */
export const terminalWebhookEvents: ReadonlySet<WebhookEventType> = new Set([
  'process.succeeded',
  'process.failed',
  'process.canceled',
]);

/** Without `events`, a callback hears only how the process ended. */
export const defaultWebhookEvents: WebhookEventType[] = [...terminalWebhookEvents];

export interface Callback {
  url: string;
  events: WebhookEventType[];
}

/** The Standard Webhooks payload: `{type, timestamp, data}`, plus the id sent as `webhook-id`. */
export interface WebhookEvent {
  /** Stable across every retry of this event (the `webhook-id` header). */
  id: string;
  type: WebhookEventType;
  timestamp: string;
  data: ProcessResource;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event's delivery to the callback, as shown in the process resource. */
export interface DeliveryState {
  eventId: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt?: string;
  lastError?: string;
  deliveredAt?: string;
}

/** Reported by the delivery activity after each attempt that did not deliver. */
export interface DeliveryAttempt {
  eventId: string;
  attempt: number;
  error: string;
  at: string;
}

/** Workflow id of a process's webhook deliveries (a child of the orchestrator that outlives it). */
export function deliveriesWorkflowId(processId: string): string {
  return `${processId}:webhooks`;
}
