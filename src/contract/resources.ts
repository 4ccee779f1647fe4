/**
 * Every shape longrun's HTTP API answers with, as zod schemas: the single source of their
 * TypeScript types (inferred below), of response validation in tests and of the OpenAPI
 * document's components. Built from the contract's leaves only; runtime code that must stay light
 * (workflows) imports the types from here with `import type`, never the schemas.
 */
import { z } from 'zod';
import { failureTypes } from './failure-types.js';
import { processStatuses } from './process-status.js';
import { deliveryStatuses, webhookEventTypes } from './webhook-events.js';

export const progress = z.object({
  /** 0 to 100. */
  percent: z.number().min(0).max(100),
  message: z.string(),
});
export type Progress = z.infer<typeof progress>;

export const processError = z
  .object({
    type: z.string().meta({
      description: `One of ${failureTypes.map((t) => `\`${t}\``).join(', ')}, or a runner's own failure type.`,
    }),
    title: z.string(),
    detail: z.string(),
  })
  .meta({ description: 'Why the process failed, once failed.' });
export type ProcessError = z.infer<typeof processError>;

/** A callback as a process records it (the request's `events` defaulted and deduplicated). */
export const callback = z
  .object({ url: z.string(), events: z.array(z.enum(webhookEventTypes)) })
  .meta({ description: 'Where webhook events go, as requested at start.' });
export type Callback = z.infer<typeof callback>;

/** A callback as a start request names it. */
export const callbackRequest = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'Must be an http or https URL.' })
      .max(2048)
      .meta({
        description: "Receives Standard Webhooks events (signed with the server's `whsec_` secrets).",
      }),
    events: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length).optional().meta({
      description: 'Which events to send; default: how the process ends (succeeded, failed, canceled).',
    }),
  })
  .strict()
  .meta({ id: 'Callback' });
export type CallbackRequest = z.infer<typeof callbackRequest>;

/** One event's delivery to the callback, as shown in the process resource. */
export const delivery = z.object({
  eventId: z.string().meta({ description: 'The `webhook-id` of the event, stable across retries.' }),
  type: z.enum(webhookEventTypes),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  lastAttemptAt: z.iso.datetime().optional(),
  lastError: z.string().optional(),
  deliveredAt: z.iso.datetime().optional(),
});
export type DeliveryState = z.infer<typeof delivery>;

/** A failed attempt waiting for its retry (backing off, or for a free runner). */
export const retryResource = z
  .object({
    attempt: z.number().int().min(2).meta({ description: 'The attempt that runs next.' }),
    dueAt: z.iso
      .datetime()
      .optional()
      .meta({ description: 'When it is due (absent once due: it waits for a free runner).' }),
    lastFailure: processError.meta({ description: 'Why the previous attempt failed.' }),
  })
  .meta({
    description:
      'Present while a failed attempt waits for its retry; the status is then `queued`, `attempt` the attempt that failed.',
  });
export type RetryInfo = z.infer<typeof retryResource>;

export const processLinks = z.object({
  self: z.url(),
  ui: z.url().meta({ description: 'This process in the Temporal Web UI.' }),
});
export type ProcessLinks = z.infer<typeof processLinks>;

/** What names a process and says where it stands, in its resource and in its summary alike. */
const processIdentity = { id: z.string(), kind: z.string(), status: z.enum(processStatuses) };

export const processResource = z
  .object({
    ...processIdentity,
    progress,
    attempt: z.number().int().min(0).meta({
      description: "The runner's current or last attempt that started, from 1; 0 before the first.",
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().optional().meta({ description: 'Set once the process is terminal.' }),
    cancelRequested: z.boolean().optional().meta({
      description: 'A cancel was requested; the status turns `canceled` once the runner has stopped.',
    }),
    retry: retryResource.optional(),
    result: z.unknown().optional().meta({ description: "The runner's result, once succeeded." }),
    error: processError.optional(),
    callback: callback.optional(),
    deliveries: z
      .array(delivery)
      .optional()
      .meta({ description: 'Webhook deliveries so far (with a callback).' }),
    links: processLinks,
  })
  .meta({ id: 'Process' });
export type ProcessResource = z.infer<typeof processResource>;

export const processSummaryResource = z
  .object({
    ...processIdentity,
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().optional(),
    links: z.object({ self: z.url(), ui: z.url() }),
  })
  .meta({
    id: 'ProcessSummary',
    description: 'A process as listed; GET `links.self` for progress, result and error.',
  });
export type ProcessSummaryResource = z.infer<typeof processSummaryResource>;

export const processPage = z
  .object({
    items: z.array(processSummaryResource),
    nextCursor: z
      .string()
      .optional()
      .meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
  })
  .meta({ id: 'ProcessPage' });
export type ProcessPage = z.infer<typeof processPage>;

export const artifactResource = z
  .object({
    id: z.string().meta({ example: '3f8c2a7d9b1e4c6a8f0d2b4e6a8c0e1f' }),
    size: z.number().int().min(0).meta({ description: 'Bytes.' }),
    sha256: z.string().meta({ description: 'SHA-256 of the content, lowercase hex; also its ETag.' }),
    contentType: z.string().meta({ example: 'application/octet-stream' }),
  })
  .meta({ id: 'Artifact' });
export type ArtifactResource = z.infer<typeof artifactResource>;

/**
 * One invalid part of a request: a body field located by JSON Pointer (RFC 6901), or a named
 * query/path parameter or header. Exactly one of the three locators is set.
 */
export const fieldError = z
  .union([
    z
      .object({
        pointer: z.string().meta({ description: 'JSON Pointer into the request body.' }),
        detail: z.string(),
      })
      .strict(),
    z
      .object({
        parameter: z.string().meta({ description: 'A query or path parameter.' }),
        detail: z.string(),
      })
      .strict(),
    z.object({ header: z.string().meta({ description: 'A request header.' }), detail: z.string() }).strict(),
  ])
  .meta({ id: 'FieldError' });
export type FieldError = z.infer<typeof fieldError>;

/** RFC 9457 problem details, as every error answer carries them (`application/problem+json`). */
export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(fieldError).optional(),
    requestId: z.string().optional().meta({
      description:
        'The id of the request (its `X-Request-Id` answer header), to quote to an operator: it is in their logs.',
    }),
  })
  .meta({ id: 'Problem' });
export type ProblemDetails = z.infer<typeof problem>;

/** A browser token for one process (`POST /processes/{id}/access-tokens`). */
export const accessTokenResource = z
  .object({
    token: z.string().meta({
      description:
        'Reads this process (GET and its event stream) as `Authorization: Bearer …` or `?access_token=…`. Treat it as a secret.',
      example: 'lrt_eyJ2IjoxLCJwaWQiOiIxYjRlMjhiYS0uLi4ifQ.c2lnbmF0dXJl',
    }),
    expiresAt: z.iso.datetime().meta({ description: 'After this it is refused (401).' }),
  })
  .meta({ id: 'AccessToken' });
export type AccessTokenResource = z.infer<typeof accessTokenResource>;
