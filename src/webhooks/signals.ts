import { defineSignal } from '@temporalio/workflow';
import type { DeliveryAttempt, WebhookEvent } from './events.js';

/** To the deliveries workflow: a new event to deliver. */
export const webhookEventSignal = defineSignal<[WebhookEvent]>('webhookEvent');
/** To the deliveries workflow: the process sends no more events. */
export const webhookEventsEndSignal = defineSignal('webhookEventsEnd');
/** From the delivery activity: an attempt that did not deliver. */
export const deliveryAttemptSignal = defineSignal<[DeliveryAttempt]>('deliveryAttempt');
