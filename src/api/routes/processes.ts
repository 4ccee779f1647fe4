import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isTerminal } from '../../shared/process-state.js';
import type { ProcessGateway, ProcessSnapshot } from '../gateway.js';
import { ProblemError, ProblemType } from '../problem.js';
import {
  pollingHeaders,
  problemContent,
  processIdParams,
  processResource,
  startProcessRequest,
  type ProcessResource,
} from '../schemas.js';
import { validationHook } from '../validation.js';

export interface ProcessRoutesOptions {
  gateway: ProcessGateway;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Base for absolute URLs; undefined → the request's own origin. */
  publicBaseUrl: string | undefined;
}

const processJson = { 'application/json': { schema: processResource } } as const;

const startRoute = createRoute({
  method: 'post',
  path: '/processes',
  summary: 'Start a process',
  description: 'Accepts the command at once and runs it in the background. Poll `Location` for its status.',
  request: { body: { required: true, content: { 'application/json': { schema: startProcessRequest } } } },
  responses: {
    202: { description: 'Accepted; the process is queued.', headers: pollingHeaders, content: processJson },
    400: { description: 'Malformed JSON or invalid input.', content: problemContent },
    413: { description: 'Body too large.', content: problemContent },
    415: { description: 'Body is not JSON.', content: problemContent },
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/processes/{id}',
  summary: 'Get a process',
  request: { params: processIdParams },
  responses: {
    200: { description: 'The process has ended (succeeded, failed or canceled).', content: processJson },
    202: { description: 'The process is queued or running.', headers: pollingHeaders, content: processJson },
    404: { description: 'No such process.', content: problemContent },
  },
});

export function processRoutes(options: ProcessRoutesOptions) {
  const { gateway } = options;
  const tooLarge = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: () => {
      throw new ProblemError({
        type: ProblemType.PayloadTooLarge,
        title: 'Request body too large',
        status: 413,
        detail: `The body exceeds ${options.maxBodyBytes} bytes.`,
      });
    },
  });

  const toResource = (c: Context, { state, uiUrl }: ProcessSnapshot): ProcessResource => ({
    id: state.id,
    kind: state.kind,
    status: state.status,
    progress: state.progress,
    attempt: state.attempt,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    ...(state.completedAt !== undefined && { completedAt: state.completedAt }),
    ...(state.status === 'succeeded' && { result: state.result }),
    ...(state.error !== undefined && { error: state.error }),
    links: { self: selfUrl(c, state.id), ui: uiUrl },
  });

  const selfUrl = (c: Context, id: string): string =>
    new URL(`/processes/${encodeURIComponent(id)}`, options.publicBaseUrl ?? c.req.url).toString();

  const pollingHeadersFor = (c: Context, id: string) => ({
    Location: selfUrl(c, id),
    'Retry-After': String(options.retryAfterSeconds),
    'Cache-Control': 'no-store',
  });

  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi({ ...startRoute, middleware: [tooLarge] }, async (c) => {
      const command = c.req.valid('json');
      const started = await gateway.start(command);
      return c.json(toResource(c, started), 202, pollingHeadersFor(c, started.state.id));
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const found = await gateway.get(id);
      if (!found) {
        throw new ProblemError({
          type: ProblemType.NotFound,
          title: 'Process not found',
          status: 404,
          detail: `No process has id "${id}".`,
        });
      }
      const resource = toResource(c, found);
      if (isTerminal(found.state.status)) return c.json(resource, 200, { 'Cache-Control': 'no-store' });
      return c.json(resource, 202, pollingHeadersFor(c, id));
    });
}
