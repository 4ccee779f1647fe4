import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { DeliveryState } from '../contract/resources.js';
import { terminalWebhookEvents } from '../contract/webhook-events.js';
import { deliveriesInMemoPatch, deliveriesMemo } from '../shared/orchestrator-versions.js';
import type { FailedAttempt, WebhookActivities } from '../webhooks/delivery.js';
import type { WebhookEvent } from '../webhooks/events.js';
import { deliveriesQuery } from '../webhooks/queries.js';
import { deliveryAttemptSignal, webhookEventSignal, webhookEventsEndSignal } from '../webhooks/signals.js';

export interface WebhookDeliveriesInput {
  processId: string;
  url: string;
  /** The event that made the orchestrator start this workflow; later ones arrive by signal. */
  firstEvent: WebhookEvent;
  /** Whose process it is (absent before tenants): each delivery is signed with its secrets. */
  tenant?: string;
}

/**
 * Delivery policy, in one place: 15 s per attempt, retried for about a day. The activity sets
 * each next delay itself (exponential with jitter, or the receiver's Retry-After).
 */
const deliveryOptions: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '24h',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1h',
    // No attempt limit: the schedule-to-close timeout bounds the whole delivery.
    nonRetryableErrorTypes: [FailureType.WebhookGone, FailureType.CallbackRefused],
  },
  summary: 'deliver webhook',
};
const { deliverWebhook } = proxyActivities<WebhookActivities>(deliveryOptions);

/**
 * A process's webhook deliveries: started by the orchestrator (as a child that outlives it) so
 * that delivery never holds the process back nor fails it. Each event is delivered on its own;
 * the workflow ends once the process's last event is delivered or given up.
 */
export async function webhookDeliveries({
  url,
  firstEvent,
  tenant,
}: WebhookDeliveriesInput): Promise<DeliveryState[]> {
  const deliveries: DeliveryState[] = [];
  const pending: Promise<void>[] = [];
  let lastEventSeen = false;
  // From this version on, each event's delivery runs under the event's id and every change is
  // kept in the memo, so the API reads deliveries from describe, without a worker. Asked lazily:
  // the first signal may be handled before the rest of this function runs.
  const inMemo = (): boolean => patched(deliveriesInMemoPatch);
  const record = (): void => {
    if (inMemo()) upsertMemo({ [deliveriesMemo]: deliveries });
  };

  const accept = (event: WebhookEvent): void => {
    if (deliveries.some((d) => d.eventId === event.id)) return;
    const delivery: DeliveryState = { eventId: event.id, type: event.type, status: 'pending', attempts: 0 };
    deliveries.push(delivery);
    if (terminalWebhookEvents.has(event.type)) lastEventSeen = true;
    pending.push(deliver(delivery, event));
    record();
  };

  const deliver = async (delivery: DeliveryState, event: WebhookEvent): Promise<void> => {
    try {
      const send = inMemo()
        ? proxyActivities<WebhookActivities>({ ...deliveryOptions, activityId: event.id }).deliverWebhook
        : deliverWebhook;
      const result = await send({ url, event, ...(tenant !== undefined && { tenant }) });
      Object.assign(delivery, {
        status: 'delivered',
        attempts: result.attempt,
        deliveredAt: result.deliveredAt,
        lastAttemptAt: result.deliveredAt,
        ...(result.lastError !== undefined && { lastError: result.lastError }),
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      delivery.status = 'failed';
      delivery.lastError =
        cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
      // The attempt that gave up says which it was (deliveries-in-memo version on).
      const failed =
        cause instanceof ApplicationFailure ? (cause.details?.[0] as FailedAttempt | undefined) : undefined;
      if (failed && typeof failed.attempt === 'number') {
        Object.assign(delivery, { attempts: failed.attempt, lastAttemptAt: failed.at });
      }
    }
    record();
  };

  setHandler(deliveriesQuery, () => deliveries);
  setHandler(webhookEventSignal, accept);
  setHandler(webhookEventsEndSignal, () => {
    lastEventSeen = true;
  });
  setHandler(deliveryAttemptSignal, ({ eventId, attempt, error, at }) => {
    const delivery = deliveries.find((d) => d.eventId === eventId);
    if (!delivery || delivery.status !== 'pending' || attempt < delivery.attempts) return;
    Object.assign(delivery, { attempts: attempt, lastError: error, lastAttemptAt: at });
  });

  accept(firstEvent);
  await condition(() => lastEventSeen);
  // Events may still arrive with the last one; settle every delivery started so far.
  for (let settled = 0; settled < pending.length; settled++) await pending[settled];
  return deliveries;
}
