/**
 * A process's webhook deliveries, read from its deliveries workflow as the server holds it (never
 * from a worker): the delivery states it keeps in its memo, the attempts of the deliveries still
 * pending (describe), and, once it has ended, its result.
 */
import type { Client } from '@temporalio/client';
import type { DeliveryState } from '../contract/resources.js';
import { deliveriesMemo } from '../shared/orchestrator-versions.js';
import { deliveriesWorkflowId } from '../webhooks/events.js';
import type { webhookDeliveries } from '../workflows/index.js';
import { describeRun } from './describe.js';
import { LruCache } from './lru-cache.js';
import { timestampToIso } from './timestamps.js';

export class DeliveriesReader {
  /** Deliveries of workflows that have ended: they never change. */
  private readonly ended: LruCache<DeliveryState[]>;

  constructor(
    private readonly client: Client,
    cacheSize: number,
  ) {
    this.ended = new LruCache(cacheSize);
  }

  /**
   * The deliveries so far; `[]` before the first event was due; `undefined` when the server
   * cannot say right now (a deliveries workflow from before the deliveries-in-memo version).
   */
  async read(processId: string): Promise<DeliveryState[] | undefined> {
    const known = this.ended.get(processId);
    if (known) return known;
    const workflowId = deliveriesWorkflowId(processId);
    const description = await describeRun(this.client, workflowId);
    if (!description) return []; // no event was due yet
    if (description.status === 'COMPLETED') {
      const handle = this.client.workflow.getHandle<typeof webhookDeliveries>(workflowId);
      const deliveries = await handle.result();
      this.ended.set(processId, deliveries);
      return deliveries;
    }
    const recorded = (await description.memo(deliveriesMemo)) as DeliveryState[] | undefined;
    if (!Array.isArray(recorded)) return undefined;
    // Attempts since the workflow last recorded: each pending delivery runs under its event's id.
    return recorded.map((delivery) => {
      const pending = description.pendingActivities.find((a) => a.activityId === delivery.eventId);
      if (!pending || delivery.status !== 'pending') return delivery;
      const attempts = Math.max(delivery.attempts, (pending.attempt ?? 1) - 1);
      const lastAttemptAt = timestampToIso(pending.lastAttemptCompleteTime);
      return {
        ...delivery,
        attempts,
        ...(pending.lastFailure?.message && { lastError: pending.lastFailure.message }),
        ...(lastAttemptAt && { lastAttemptAt }),
      };
    });
  }
}
