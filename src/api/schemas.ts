import { z } from '@hono/zod-openapi';
import { kindNames, runnerKinds } from '../activities/registry.js';
import { processStatuses } from '../shared/process-state.js';

/**
 * The HTTP contract's schemas: they validate requests and generate `/openapi.json`.
 * A kind's `input` schema comes from its runner's file, through the registry.
 */
const startByKind = kindNames.map((kind) =>
  z
    .object({
      kind: z.literal(kind),
      input: runnerKinds[kind].input,
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
    result: z.unknown().optional().openapi({ description: "The runner's result, once succeeded." }),
    error: z
      .object({ type: z.string(), title: z.string(), detail: z.string() })
      .optional()
      .openapi({ description: 'Why the process failed, once failed.' }),
    links: z.object({
      self: z.url(),
      ui: z.url().openapi({ description: 'This process in the Temporal Web UI.' }),
    }),
  })
  .openapi('Process');

export type ProcessResource = z.infer<typeof processResource>;

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
