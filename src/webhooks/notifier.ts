/**
 * Workflow-side webhook code: runs inside the orchestrator workflow (Temporal's deterministic
 * sandbox), so it follows the workflow lint rules (see eslint.config.js).
 */
import {
  CancellationScope,
  ParentClosePolicy,
  log,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Callback } from '../contract/resources.js';
import { isTerminal } from '../contract/process-status.js';
import type { WebhookEventType } from '../contract/webhook-events.js';
import { toProcessResource, uiLink } from '../shared/process-resource.js';
import type { ProcessState } from '../shared/process-state.js';
import type { webhookDeliveries } from '../workflows/webhook-deliveries.js';
import { deliveriesWorkflowId, type WebhookEvent } from './events.js';
import { webhookEventSignal, webhookEventsEndSignal } from './signals.js';

/** What the notifier needs of the orchestrator's input. */
export interface NotifierInput {
  id: string;
  /** Whose process it is: deliveries are signed with the tenant's own secrets. */
  tenant?: string;
  /** For webhook payloads: the process's API URL and the Web UI's base URL. */
  links?: { self: string; uiBaseUrl: string };
}

/**
 * Sends the process's subscribed status events to its webhook deliveries workflow, a child
 * started on the first event that is abandoned (not cancelled) when this workflow closes.
 */
export class WebhookNotifier {
  private deliveries: ChildWorkflowHandle<typeof webhookDeliveries> | undefined;
  private sending: Promise<void> = Promise.resolve();
  private lastSubscribedSent = false;

  constructor(
    private readonly args: NotifierInput,
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
    this.deliveries = await startChild<typeof webhookDeliveries>('webhookDeliveries', {
      workflowId: deliveriesWorkflowId(this.args.id),
      args: [
        {
          processId: this.args.id,
          url: this.callback.url,
          firstEvent: event,
          // Data only, no new command: histories recorded before tenants replay unchanged.
          ...(this.args.tenant !== undefined && { tenant: this.args.tenant }),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `webhooks of process ${this.args.id} → ${this.callback.url}`,
    });
  }
}
