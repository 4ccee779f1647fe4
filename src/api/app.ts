import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ArtifactStore } from '../artifacts/store.js';
import type { ProcessGateway } from './gateway.js';
import { ProblemError, ProblemType, renderProblem, type Problem } from './problem.js';
import { artifactRoutes } from './routes/artifacts.js';
import { processRoutes } from './routes/processes.js';
import { parseCallbackPolicy, type CallbackPolicy } from '../webhooks/callback-policy.js';
import { validationHook } from './validation.js';

export interface AppOptions {
  gateway: ProcessGateway;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Cap for `Prefer: wait=N` (default 60). */
  maxWaitSeconds?: number;
  /** Whether callbacks are accepted, and which URLs (default: refused, as no secret is known). */
  callbacks?: { enabled: boolean; policy: CallbackPolicy };
  /** Comment keep-alives on event streams (default 15 s). */
  eventsKeepAliveMs?: number;
  publicBaseUrl?: string | undefined;
  /** Where unexpected errors are reported (default: console). */
  logError?: (err: unknown) => void;
  /** The artifact store and upload limit. Without them: no `/artifacts` routes, and no encrypt/decrypt starts. */
  artifacts?: { store: ArtifactStore; maxBytes: number };
}

/** The HTTP API. Pure: no listening, no Temporal client; `server.ts` wires it to both. */
export function createApp(options: AppOptions) {
  const logError = options.logError ?? ((err: unknown) => console.error(err));
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.route(
    '/',
    processRoutes({
      gateway: options.gateway,
      maxBodyBytes: options.maxBodyBytes,
      retryAfterSeconds: options.retryAfterSeconds,
      maxWaitSeconds: options.maxWaitSeconds ?? 60,
      callbacks: options.callbacks ?? { enabled: false, policy: parseCallbackPolicy('', '') },
      eventsKeepAliveMs: options.eventsKeepAliveMs ?? 15_000,
      publicBaseUrl: options.publicBaseUrl,
      // Kinds' input checks (e.g. that an artifact exists) consult the store.
      runnerChecks: options.artifacts && { artifacts: options.artifacts.store },
    }),
  );

  if (options.artifacts) {
    app.route(
      '/',
      artifactRoutes({
        store: options.artifacts.store,
        maxBytes: options.artifacts.maxBytes,
        publicBaseUrl: options.publicBaseUrl,
      }),
    );
  }

  app.get('/healthz', async (c) => {
    const temporal = await options.gateway.ready();
    return c.json(
      { status: temporal ? 'ok' : 'degraded', temporal: temporal ? 'up' : 'down' },
      temporal ? 200 : 503,
    );
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'longrun',
      version: '0.1.0',
      description: 'Long-running operations over HTTP, on Temporal: start with POST, then poll `Location`.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  // A known path with the wrong method is 405, not 404.
  const allowed: Record<string, string> = {
    '/processes': 'GET, POST',
    '/processes/:id': 'GET',
    '/processes/:id/cancel': 'POST',
    '/processes/:id/events': 'GET',
    ...(options.artifacts && { '/artifacts': 'POST', '/artifacts/:id': 'GET, HEAD' }),
  };
  for (const [path, allow] of Object.entries(allowed)) {
    app.all(path, (c) =>
      renderProblem(
        c,
        {
          type: ProblemType.MethodNotAllowed,
          title: 'Method not allowed',
          status: 405,
          detail: `Use ${allow}.`,
        },
        { Allow: allow },
      ),
    );
  }

  app.notFound((c) =>
    renderProblem(c, {
      type: ProblemType.NotFound,
      title: 'Not found',
      status: 404,
      detail: `No resource at ${c.req.path}.`,
    }),
  );

  app.onError((err, c) => {
    if (err instanceof ProblemError) return renderProblem(c, err.problem, err.headers);
    if (err instanceof HTTPException) return renderProblem(c, fromHttpException(err));
    if (isTemporalUnavailable(err)) {
      logError(err);
      return renderProblem(
        c,
        {
          type: ProblemType.TemporalUnavailable,
          title: 'Temporal is unavailable',
          status: 503,
          detail: 'Try again shortly.',
        },
        { 'Retry-After': '5' },
      );
    }
    logError(err);
    return renderProblem(c, { type: ProblemType.Internal, title: 'Internal error', status: 500 });
  });

  return app;
}

function fromHttpException(err: HTTPException): Problem {
  const status = err.status;
  switch (status) {
    case 400:
      return {
        type: ProblemType.MalformedJson,
        title: 'Malformed JSON',
        status,
        detail: 'The request body is not valid JSON.',
      };
    case 415:
      return {
        type: ProblemType.UnsupportedMediaType,
        title: 'Unsupported media type',
        status,
        detail: 'Send the body as application/json.',
      };
    default:
      return { type: ProblemType.Internal, title: err.message || 'Request failed', status };
  }
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) from the Temporal client. */
function isTemporalUnavailable(err: unknown): boolean {
  const code =
    (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (err as { cause?: { code?: unknown } })?.cause?.code;
  return code === 14 || code === 4;
}

export type App = ReturnType<typeof createApp>;
export type { Context };
