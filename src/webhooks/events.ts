/**
 * Webhook events as longrun sends them, and what delivery reports. Pure data: shared by the
 * workflows, the delivery activity and the API.
 */
import type { ProcessResource } from '../contract/resources.js';
import type { WebhookEventType } from '../contract/webhook-events.js';

/** The Standard Webhooks payload: `{type, timestamp, data}`, plus the id sent as `webhook-id`. */
export interface WebhookEvent {
  /** Stable across every retry of this event (the `webhook-id` header). */
  id: string;
  type: WebhookEventType;
  timestamp: string;
  data: ProcessResource;
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
