import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { FailureType } from '../contract/failure-types.js';
import type { CallbackPolicy } from './callback-policy.js';
import type { DeliveryAttempt, WebhookEvent } from './events.js';
import { postWebhook } from './http-post.js';
import { parseRetryAfter, retryDelayMs } from './retry.js';
import { deliveryAttemptSignal } from './signals.js';
import { signWebhook } from './signing.js';

/** Where delivery attempts are reported: the deliveries workflow itself. */
export interface DeliveryReportSink {
  attemptFailed(workflowId: string, report: DeliveryAttempt): Promise<void>;
}

/** The production sink: signals the deliveries workflow through a Temporal client. */
export function createSignalDeliveryReportSink(client: Client): DeliveryReportSink {
  return {
    attemptFailed: (workflowId, report) =>
      client.workflow.getHandle(workflowId).signal(deliveryAttemptSignal, report),
  };
}

export interface WebhookDeps {
  /**
   * The decoded `whsec_` secrets that sign a delivery now, every one of them (rotation): the
   * process's tenant's own, or for a process from before tenants (`undefined`) the
   * `WEBHOOK_SECRETS`. Asked at every attempt, so rotations apply to deliveries under way.
   * Empty: the delivery fails as not configured.
   */
  secretsFor(tenant: string | undefined): Buffer[];
  policy: CallbackPolicy;
  reports: DeliveryReportSink;
  /** Per-attempt HTTP timeout; below the activity's 15 s start-to-close timeout. */
  timeoutMs?: number;
}

export interface DeliverWebhookInput {
  url: string;
  event: WebhookEvent;
  /** Whose process it is (absent for processes from before tenants). */
  tenant?: string;
}

export interface DeliverWebhookResult {
  status: number;
  attempt: number;
  deliveredAt: string;
  /** Why the attempt before this one failed, if one did (deliveries-in-memo version on). */
  lastError?: string;
}

/** What a failed attempt leaves for the next one (heartbeat details) and for its workflow (failure details). */
export interface FailedAttempt {
  attempt: number;
  error: string;
  at: string;
}

/** Activities that deliver webhook events; one call per event, retried by Temporal until delivered. */
export function createWebhookActivities(deps: WebhookDeps) {
  return {
    async deliverWebhook({ url, event, tenant }: DeliverWebhookInput): Promise<DeliverWebhookResult> {
      const ctx = Context.current();
      const { attempt } = ctx.info;
      // Deliveries workflows from the deliveries-in-memo version on run each event under its id:
      // the server keeps what a failed attempt says, so nothing needs to signal them.
      const readFromServer = ctx.info.activityId === event.id;
      const previous = readFromServer ? (ctx.info.heartbeatDetails as FailedAttempt | undefined) : undefined;
      const secrets = deps.secretsFor(tenant);
      if (secrets.length === 0) {
        throw ApplicationFailure.nonRetryable(
          tenant === undefined
            ? 'no webhook secrets are configured (WEBHOOK_SECRETS)'
            : `tenant "${tenant}" has no webhook secret (api-key webhook-secret rotate --tenant ${tenant})`,
          FailureType.CallbackRefused,
        );
      }
      const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secrets, event.id, timestamp, body),
        'user-agent': 'longrun-webhooks/1',
      };

      let failure: ApplicationFailure;
      try {
        const answer = await postWebhook(new URL(url), body, headers, deps, ctx.cancellationSignal);
        if (answer.status >= 200 && answer.status < 300) {
          return {
            status: answer.status,
            attempt,
            deliveredAt: new Date().toISOString(),
            ...(previous && { lastError: previous.error }),
          };
        }
        const message = `receiver answered ${answer.status}`;
        if (answer.status === 410) {
          failure = ApplicationFailure.nonRetryable(
            `${message} (Gone): no more retries`,
            FailureType.WebhookGone,
          );
        } else {
          const asked =
            answer.status === 429 || answer.status === 503 ? parseRetryAfter(answer.retryAfter) : undefined;
          failure = ApplicationFailure.create({
            type: FailureType.WebhookRejected,
            message,
            nextRetryDelay: asked ?? retryDelayMs(attempt),
          });
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const refused = (err as { code?: string }).code === 'ECALLBACKREFUSED';
        failure = refused
          ? ApplicationFailure.nonRetryable(message, FailureType.CallbackRefused)
          : ApplicationFailure.create({
              type: FailureType.WebhookUnreachable,
              message,
              nextRetryDelay: retryDelayMs(attempt),
            });
      }
      const failed: FailedAttempt = { attempt, error: failure.message, at: new Date().toISOString() };
      if (readFromServer) {
        // The next attempt (and a delivered result) still knows why this one failed; the workflow
        // learns it from the failure's details if this was the last.
        ctx.heartbeat(failed);
        throw ApplicationFailure.create({
          type: failure.type ?? undefined,
          message: failure.message,
          nonRetryable: failure.nonRetryable ?? undefined,
          nextRetryDelay: failure.nextRetryDelay ?? undefined,
          details: [failed],
        });
      }
      await deps.reports
        .attemptFailed(ctx.info.workflowExecution?.workflowId ?? '', { eventId: event.id, ...failed })
        .catch((err: unknown) => {
          ctx.log.warn('delivery report failed', { error: String(err) });
        });
      throw failure;
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
