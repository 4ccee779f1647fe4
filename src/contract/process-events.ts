/**
 * One event of a process's event stream (`GET /processes/{id}/events`, Server-Sent Events), as
 * its fields arrive: the contract of the stream, in `/openapi.json` as the `itemSchema` of
 * `text/event-stream` (the OpenAPI 3.2 way to describe each event, which Schemathesis checks).
 */
import { z } from 'zod';

/** `status` when the status changed, `progress` otherwise. */
export const processEventNames = ['status', 'progress'] as const;
export type ProcessEventName = (typeof processEventNames)[number];

export const processEvent = z
  .object({
    id: z.string().regex(/^\d+$/).meta({
      description:
        'Increasing: the server-side time of the change, in ms. Send it back as `Last-Event-ID` to resume.',
    }),
    event: z.enum(processEventNames),
    data: z.string().meta({
      description: 'The process resource, as JSON.',
      contentMediaType: 'application/json',
      contentSchema: { $ref: '#/components/schemas/Process' },
    }),
  })
  .meta({ id: 'ProcessEvent', description: 'One Server-Sent Event of a process stream.' });
export type ProcessEvent = z.infer<typeof processEvent>;
