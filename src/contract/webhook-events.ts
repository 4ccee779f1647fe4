/**
 * The webhook event types and delivery statuses of the wire contract. A leaf: pure data.
 */

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

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];
