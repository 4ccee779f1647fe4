import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { MiddlewareHandler } from 'hono';
import type { ArtifactStore } from '../artifacts/store.js';
import type { KeyStore } from '../auth/key-store.js';
import { authenticate } from '../auth/middleware.js';
import { registerSecuritySchemes } from '../auth/openapi.js';
import type { ProcessGateway } from '../gateway/port.js';
import type { ApiMetrics } from '../observability/api-metrics.js';
import type { Logger } from '../observability/logger.js';
import { Readiness, checkArtifactStore, type ReadinessCheck } from '../observability/readiness.js';
import { parseCallbackPolicy, type CallbackPolicy } from '../webhooks/callback-policy.js';
import { problemErrorHandler } from './errors.js';
import { healthRoutes } from './health.js';
import { observeRequests } from './observe.js';
import { renderProblem } from './problem.js';
import { ProblemType } from '../contract/problem-types.js';
import { accessTokenRoutes } from './routes/access-tokens.js';
import { artifactRoutes } from './routes/artifacts.js';
import { processRoutes } from './routes/processes.js';
import { validationHook } from './validation.js';

export interface AppOptions {
  gateway: ProcessGateway;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Cap for `Prefer: wait=N` (default 60). */
  maxWaitSeconds?: number;
  /**
   * Which callback URLs are accepted (default: any not denied), and whether a tenant may have
   * callbacks (default: when it has a webhook signing secret in the keys file).
   */
  callbacks?: { policy: CallbackPolicy; enabled?: (tenant: string) => boolean };
  /**
   * Who may call: the API keys (and tenants' webhook secrets) of the keys file, and the secrets
   * that sign and verify browser tokens (`ACCESS_TOKEN_SECRETS`; at least one).
   */
  auth: { keys: KeyStore; accessTokenSecrets: readonly Buffer[] };
  /** Comment keep-alives on event streams (default 15 s). */
  eventsKeepAliveMs?: number;
  publicBaseUrl?: string | undefined;
  /** Where unexpected errors are reported (default: console). */
  logError?: (err: unknown) => void;
  /** The artifact store (also consulted by kinds' start-time checks) and the upload limit. */
  artifacts: { store: ArtifactStore; maxBytes: number };
  /** One log line per request (default: none). */
  logger?: Logger;
  /** Served on `/metrics` and counted for every request (default: none). */
  metrics?: ApiMetrics;
  /** Whether request spans are recorded (tracing configured; default off). */
  tracing?: boolean;
  /**
   * Graceful drain (src/api/drain.ts): its signal ends waits and event streams early, its check
   * fails readiness, its middleware closes connections (default: never drains).
   */
  drain?: { signal: AbortSignal; check: () => ReadinessCheck[]; closeConnections: MiddlewareHandler };
}

/** The HTTP API. Pure: no listening, no Temporal client; `server.ts` wires it to both. */
export function createApp(options: AppOptions) {
  const logError =
    options.logError ??
    (options.logger ? (err: unknown) => options.logger?.error({ err }, 'unexpected error') : undefined) ??
    ((err: unknown) => console.error(err));
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const { keys, accessTokenSecrets } = options.auth;
  if (accessTokenSecrets.length === 0)
    throw new Error('createApp: at least one access token secret is needed');
  for (const middleware of observeRequests(options)) app.use(middleware);
  if (options.drain) app.use(options.drain.closeConnections);

  // Health, readiness and metrics first: public, answered before any authentication.
  const store = options.artifacts.store;
  const readiness = new Readiness(
    async () => [...(await options.gateway.ready()), await checkArtifactStore(store)],
    options.drain?.check,
  );
  app.route('/', healthRoutes({ readiness, metrics: options.metrics }));

  // Every other request but the public paths needs credentials; each route then checks its scope.
  app.use('*', authenticate({ keys, accessTokenSecrets }));
  registerSecuritySchemes(app);

  app.route(
    '/processes',
    processRoutes({
      gateway: options.gateway,
      maxBodyBytes: options.maxBodyBytes,
      retryAfterSeconds: options.retryAfterSeconds,
      maxWaitSeconds: options.maxWaitSeconds ?? 60,
      callbacks: {
        policy: options.callbacks?.policy ?? parseCallbackPolicy('', ''),
        enabled: options.callbacks?.enabled ?? ((tenant) => keys.webhookSecrets(tenant).length > 0),
      },
      eventsKeepAliveMs: options.eventsKeepAliveMs ?? 15_000,
      publicBaseUrl: options.publicBaseUrl,
      kindServices: { artifacts: options.artifacts.store },
      draining: options.drain?.signal,
    }),
  );
  app.route('/processes', accessTokenRoutes({ gateway: options.gateway, secrets: accessTokenSecrets }));
  app.route(
    '/artifacts',
    artifactRoutes({
      store: options.artifacts.store,
      maxBytes: options.artifacts.maxBytes,
      publicBaseUrl: options.publicBaseUrl,
    }),
  );

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'longrun',
      version: '0.1.0',
      description: 'Long-running operations over HTTP, on Temporal: start with POST, then poll `Location`.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  answerWrongMethods(app);
  app.notFound((c) =>
    renderProblem(c, {
      type: ProblemType.NotFound,
      title: 'Not found',
      status: 404,
      detail: `No resource at ${c.req.path}.`,
    }),
  );
  app.onError(problemErrorHandler(logError));
  return app;
}

/**
 * A known path with the wrong method is 405 with `Allow`, not 404. The methods are those of the
 * operations registered (and documented in `/openapi.json`) so far: call this after the last route.
 */
function answerWrongMethods(app: OpenAPIHono): void {
  const order = ['get', 'head', 'post', 'put', 'patch', 'delete'];
  const allowed = new Map<string, Set<string>>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const { path, method } = definition.route;
    const honoPath = path.replace(/\{([^}]+)\}/g, ':$1');
    allowed.set(honoPath, (allowed.get(honoPath) ?? new Set()).add(method));
  }
  for (const [path, methods] of allowed) {
    const allow = order
      .filter((method) => methods.has(method))
      .map((method) => method.toUpperCase())
      .join(', ');
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
}

export type App = ReturnType<typeof createApp>;
