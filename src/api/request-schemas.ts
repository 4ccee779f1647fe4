/**
 * The HTTP request shapes: they validate requests and document them in `/openapi.json`. What the
 * API answers with is the contract's (src/contract/resources.ts); a kind's `input` schema comes
 * from its definition (src/kinds/).
 */
import { z } from '@hono/zod-openapi';
import { processStatuses } from '../contract/process-status.js';
import { callbackRequest } from '../contract/resources.js';
import { kindNames, kinds } from '../kinds/index.js';

const startByKind = kindNames.map((kind) =>
  z
    .object({
      kind: z.literal(kind),
      input: kinds[kind].input,
      callback: callbackRequest.optional(),
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
    cursor: z
      .string()
      .min(1)
      .max(4096)
      // Cursors are base64url: anything else is not one (and a long URL of multibyte junk is refused here, not by a 431).
      .regex(/^[\w-]+$/, 'Not a cursor: pass `nextCursor` back as it came.')
      .optional()
      .openapi({ description: 'The `nextCursor` of the previous page (same filters).' }),
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

/** `Last-Event-ID` of an event stream's reconnect (a value that is not an event id is ignored). */
export const eventsHeaders = z.object({
  'last-event-id': z.string().optional().openapi({
    description: 'Resume after this event id: only newer changes are sent. Ignored unless a decimal integer.',
    example: '1767312000000',
  }),
});
