import { z } from '@hono/zod-openapi';
import { kindNames, runnerKinds } from '../activities/registry.js';
import { processStatuses } from '../shared/process-state.js';
import { webhookEventTypes } from '../shared/webhooks.js';

/**
 * The HTTP contract's schemas: they validate requests and generate `/openapi.json`.
 * A kind's `input` schema comes from its runner's file, through the registry.
 */
export const callbackSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'Must be an http or https URL.' })
      .max(2048)
      .openapi({
        description: "Receives Standard Webhooks events (signed with the server's `whsec_` secrets).",
      }),
    events: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length).optional().openapi({
      description: 'Which events to send; default: how the process ends (succeeded, failed, canceled).',
    }),
  })
  .strict()
  .openapi('Callback');

const startByKind = kindNames.map((kind) =>
  z
    .object({
      kind: z.literal(kind),
      input: runnerKinds[kind].input,
      callback: callbackSchema.optional(),
    })
    .strict(),
);

export const startProcessRequest = z
  .discriminatedUnion('kind', startByKind as [(typeof startByKind)[number], ...typeof startByKind])
  .openapi('StartProcessRequest', {
    example: { kind: 'delay', input: { seconds: 20 } },
  });

export const processIdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, example: '1b4e28ba-2fa1-41d2-883f-0016d3cca427' }),
});

export const processResource = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(processStatuses),
    progress: z.object({
      percent: z.number().min(0).max(100),
      message: z.string(),
    }),
    attempt: z
      .number()
      .int()
      .min(0)
      .openapi({ description: "The runner's current or last attempt, from 1." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().optional().openapi({ description: 'Set once the process is terminal.' }),
    cancelRequested: z.boolean().optional().openapi({
      description: 'A cancel was requested; the status turns `canceled` once the runner has stopped.',
    }),
    result: z.unknown().optional().openapi({ description: "The runner's result, once succeeded." }),
    error: z
      .object({ type: z.string(), title: z.string(), detail: z.string() })
      .optional()
      .openapi({ description: 'Why the process failed, once failed.' }),
    callback: z
      .object({ url: z.string(), events: z.array(z.enum(webhookEventTypes)) })
      .optional()
      .openapi({ description: 'Where webhook events go, as requested at start.' }),
    deliveries: z
      .array(
        z.object({
          eventId: z
            .string()
            .openapi({ description: 'The `webhook-id` of the event, stable across retries.' }),
          type: z.enum(webhookEventTypes),
          status: z.enum(['pending', 'delivered', 'failed']),
          attempts: z.number().int(),
          lastAttemptAt: z.iso.datetime().optional(),
          lastError: z.string().optional(),
          deliveredAt: z.iso.datetime().optional(),
        }),
      )
      .optional()
      .openapi({ description: 'Webhook deliveries so far (with a callback).' }),
    links: z.object({
      self: z.url(),
      ui: z.url().openapi({ description: 'This process in the Temporal Web UI.' }),
    }),
  })
  .openapi('Process');

export type ProcessResource = z.infer<typeof processResource>;

const links = z.object({ self: z.url(), ui: z.url() });

export const processSummaryResource = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(processStatuses),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().optional(),
    links,
  })
  .openapi('ProcessSummary', {
    description: 'A process as listed; GET `links.self` for progress, result and error.',
  });

export type ProcessSummaryResource = z.infer<typeof processSummaryResource>;

export const processPage = z
  .object({
    items: z.array(processSummaryResource),
    nextCursor: z
      .string()
      .optional()
      .openapi({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
  })
  .openapi('ProcessPage');

export type ProcessPage = z.infer<typeof processPage>;

export const maxListLimit = 100;

export const listQuery = z
  .object({
    status: z.enum(processStatuses).optional(),
    kind: z.enum(kindNames).optional(),
    createdAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Only processes created after this instant.' }),
    createdBefore: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Only processes created before this instant.' }),
    limit: z.coerce.number().int().min(1).max(maxListLimit).default(50),
    cursor: z.string().min(1).max(4096).optional(),
  })
  .strict();

/** RFC 7240 `Prefer: wait=N` and the `Idempotency-Key` header. */
const prefer = z.string().max(1000).optional().openapi({
  description: 'RFC 7240 `wait=N`: answer as soon as the process ends, or after N seconds (capped).',
  example: 'wait=30',
});

export const startHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'Use 1 to 255 visible ASCII characters.')
    .optional()
    .openapi({ description: 'Same key and same body: the same process, never a second one.' }),
  prefer,
});

export const waitHeaders = z.object({ prefer });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .openapi('Problem');

export const problemContent = { 'application/problem+json': { schema: problemSchema } } as const;

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before polling again.',
    schema: { type: 'integer' as const },
  },
};
const location = {
  Location: {
    description: 'Absolute URL of the process.',
    schema: { type: 'string' as const, format: 'uri' },
  },
};
export const pollingHeaders = { ...location, ...retryAfter };
