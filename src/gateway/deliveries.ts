/** A process's webhook deliveries, read from its deliveries workflow. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DeliveryState } from '../contract/resources.js';
import { deliveriesWorkflowId } from '../webhooks/events.js';
import { deliveriesQuery } from '../webhooks/queries.js';
import type { webhookDeliveries } from '../workflows/index.js';
import { LruCache } from './lru-cache.js';

export class DeliveriesReader {
  /** Deliveries of workflows that have ended: they never change. */
  private readonly ended: LruCache<DeliveryState[]>;

  constructor(
    private readonly client: Client,
    private readonly queryTimeoutMs: number,
    cacheSize: number,
  ) {
    this.ended = new LruCache(cacheSize);
  }

  /** The deliveries so far; `[]` before the first event was due; `undefined` when unknown right now. */
  async read(processId: string): Promise<DeliveryState[] | undefined> {
    const known = this.ended.get(processId);
    if (known) return known;
    const handle = this.client.workflow.getHandle<typeof webhookDeliveries>(deliveriesWorkflowId(processId));
    try {
      return await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () =>
        handle.query(deliveriesQuery),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return []; // no event was due yet
    }
    try {
      const description = await handle.describe();
      if (description.status.name !== 'COMPLETED') return undefined;
      const deliveries = await handle.result();
      this.ended.set(processId, deliveries);
      return deliveries;
    } catch {
      return undefined;
    }
  }
}
