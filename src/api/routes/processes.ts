import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isTerminal } from '../../contract/process-status.js';
import type { ProcessResource, ProcessSummaryResource } from '../../contract/resources.js';
import { defaultWebhookEvents, type WebhookEventType } from '../../contract/webhook-events.js';
import { secured } from '../../auth/openapi.js';
import { keyPrincipalOf, tenantOf } from '../../auth/principal.js';
import {
  IdempotencyConflictError,
  InvalidCursorError,
  QuotaExceededError,
  type ProcessGateway,
  type ProcessSnapshot,
  type ProcessSummary,
} from '../../gateway/port.js';
import type { KindServices } from '../../kinds/kind-definition.js';
import { toProcessResource } from '../../shared/process-resource.js';
import { checkCallbackUrl, type CallbackPolicy } from '../../webhooks/callback-policy.js';
import { limitRequestBody } from '../body-limit.js';
import { noteProcess } from '../observe.js';
import { checkKindInput } from '../kind-checks.js';
import { preferredWaitSeconds } from '../prefer.js';
import { notFoundProblem, ProblemError } from '../problem.js';
import { ProblemType } from '../../contract/problem-types.js';
import { validationHook } from '../validation.js';
import { streamProcessEvents } from './process-events.js';
import { cancelRoute, eventsRoute, getRoute, listRoute, startRoute } from './process-routes.js';

export interface ProcessRoutesOptions {
  gateway: ProcessGateway;
  /** Whether a tenant's callbacks are accepted (it has a webhook secret to sign with), and which URLs. */
  callbacks: { enabled: (tenant: string) => boolean; policy: CallbackPolicy };
  /** Comment keep-alives on event streams. */
  eventsKeepAliveMs: number;
  /** What kinds' own start-time checks consult (the artifact store); the tenant is added per start. */
  kindServices: Omit<KindServices, 'tenant'>;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Cap for `Prefer: wait=N`. */
  maxWaitSeconds: number;
  /** Base for absolute URLs; undefined → the request's own origin. */
  publicBaseUrl: string | undefined;
  /** Aborted when the API drains: waits answer early, event streams end with a retry hint. */
  draining?: AbortSignal | undefined;
}

/** The `/processes` router: start, read (and wait), follow, cancel and list. Mount it at `/processes`. */
export function processRoutes(options: ProcessRoutesOptions) {
  const { gateway } = options;
  const tooLarge = limitRequestBody(options.maxBodyBytes);

  // PUBLIC_BASE_URL may carry a path prefix (an API served under /longrun/ by a proxy): keep it.
  const base = options.publicBaseUrl?.replace(/\/?$/, '/');
  const selfUrl = (c: Context, id: string): string =>
    new URL(`processes/${encodeURIComponent(id)}`, base ?? new URL('/', c.req.url)).toString();

  const toResource = (c: Context, { state, uiUrl, deliveries }: ProcessSnapshot): ProcessResource => {
    noteProcess(c, state);
    return toProcessResource(state, { self: selfUrl(c, state.id), ui: uiUrl }, deliveries);
  };

  const toSummary = (c: Context, summary: ProcessSummary): ProcessSummaryResource => ({
    id: summary.id,
    kind: summary.kind,
    status: summary.status,
    createdAt: summary.createdAt,
    ...(summary.completedAt !== undefined && { completedAt: summary.completedAt }),
    links: { self: selfUrl(c, summary.id), ui: summary.uiUrl },
  });

  /**
   * 200 once ended; 202 with where and when to poll while not. `Location` and `Operation-Location`
   * (the Azure REST guidelines' status monitor, the same URL) on every 202, and on a start's 200
   * too, so that a poller reads how the process ended from the monitor's `status`, never from the
   * HTTP status of the start.
   */
  const answer = (
    c: Context,
    found: ProcessSnapshot,
    waitedSeconds: number | undefined,
    { started = false } = {},
  ) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (waitedSeconds !== undefined) headers['Preference-Applied'] = `wait=${waitedSeconds}`;
    const monitor = selfUrl(c, found.state.id);
    if (started) headers['Operation-Location'] = monitor;
    if (isTerminal(found.state.status)) return c.json(toResource(c, found), 200, headers);
    Object.assign(headers, pollingHeaders(monitor));
    return c.json(toResource(c, found), 202, headers);
  };

  const pollingHeaders = (monitor: string): Record<string, string> => ({
    Location: monitor,
    'Operation-Location': monitor,
    'Retry-After': String(options.retryAfterSeconds),
    'Cache-Control': 'no-store',
  });

  /** A callback must pass the callback policy now; delivery checks again at connect time. */
  const acceptCallback = async (
    tenant: string,
    { url, events }: { url: string; events?: WebhookEventType[] | undefined },
  ) => {
    const refused = options.callbacks.enabled(tenant)
      ? await checkCallbackUrl(url, options.callbacks.policy)
      : `tenant "${tenant}" has no webhook signing secret (create one: npm run --silent api-key -- webhook-secret rotate --tenant ${tenant})`;
    // Well-formed but refused (by policy, a host that does not resolve, no secret): unprocessable, not invalid.
    if (refused) {
      throw new ProblemError({
        type: ProblemType.UnprocessableInput,
        title: 'Unusable input',
        status: 422,
        detail: `The callback URL is refused: ${refused}.`,
        errors: [{ pointer: '/callback/url', detail: refused }],
      });
    }
    return { url, events: events ? [...new Set(events)] : defaultWebhookEvents };
  };

  const waitFor = (tenant: string, id: string, seconds: number | undefined) =>
    seconds === undefined || seconds === 0
      ? gateway.get(tenant, id)
      : gateway.waitForEnd(tenant, id, seconds * 1000, options.draining);

  // Who may do what: the scope each operation needs, enforced and documented in one place.
  const start = secured(startRoute, { scope: 'processes:write' });

  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi({ ...start, middleware: [...start.middleware, tooLarge] }, async (c) => {
      const key = keyPrincipalOf(c);
      const command = c.req.valid('json');
      // e.g. that an artifactId exists and is the tenant's
      await checkKindInput({ ...options.kindServices, tenant: key.tenant }, command);
      const headers = c.req.valid('header');
      const waitSeconds = preferredWaitSeconds(headers.prefer, options.maxWaitSeconds);
      const callback = command.callback && (await acceptCallback(key.tenant, command.callback));
      let started: ProcessSnapshot;
      try {
        started = await gateway.start(key.tenant, {
          kind: command.kind,
          input: command.input,
          callback,
          idempotencyKey: headers['idempotency-key'],
          selfUrl: (id) => selfUrl(c, id),
          maxOpen: key.maxOpen,
        });
      } catch (err) {
        if (err instanceof QuotaExceededError) {
          throw new ProblemError({
            type: ProblemType.QuotaExceeded,
            title: 'Too many open processes',
            status: 429,
            detail: `${err.message} Wait for some to end (or cancel some), then try again.`,
          });
        }
        if (err instanceof IdempotencyConflictError) {
          throw new ProblemError({
            type: ProblemType.IdempotencyKeyReused,
            title: 'Idempotency-Key reused with a different request',
            status: 422,
            detail: `${err.message} Use a new key for a new request.`,
            errors: [{ header: 'idempotency-key', detail: 'Already used with a different body.' }],
          });
        }
        throw err;
      }
      const current =
        waitSeconds === undefined || isTerminal(started.state.status)
          ? started
          : ((await waitFor(key.tenant, started.state.id, waitSeconds)) ?? started);
      return answer(c, current, waitSeconds, { started: true });
    })
    .openapi(secured(getRoute, { scope: 'processes:read', browserTokens: true }), async (c) => {
      const { id } = c.req.valid('param');
      const waitSeconds = preferredWaitSeconds(c.req.valid('header').prefer, options.maxWaitSeconds);
      const found = await waitFor(tenantOf(c), id, waitSeconds);
      if (!found) throw notFoundProblem('Process', id);
      return answer(c, found, waitSeconds);
    })
    .openapi(secured(eventsRoute, { scope: 'processes:read', browserTokens: true }), async (c) => {
      const { id } = c.req.valid('param');
      const tenant = tenantOf(c);
      if (!(await gateway.get(tenant, id))) throw notFoundProblem('Process', id);
      return streamProcessEvents(c, tenant, id, {
        gateway,
        keepAliveMs: options.eventsKeepAliveMs,
        toResource,
        draining: options.draining,
      });
    })
    .openapi(secured(cancelRoute, { scope: 'processes:write' }), async (c) => {
      const { id } = c.req.valid('param');
      const result = await gateway.cancel(tenantOf(c), id);
      if (!result) throw notFoundProblem('Process', id);
      if (result.outcome === 'already-ended') {
        throw new ProblemError({
          type: ProblemType.AlreadyEnded,
          title: 'The process has already ended',
          status: 409,
          detail: `Process "${id}" is ${result.snapshot.state.status}; there is nothing to cancel.`,
        });
      }
      return c.json(toResource(c, result.snapshot), 202, pollingHeaders(selfUrl(c, id)));
    })
    .openapi(secured(listRoute, { scope: 'processes:read' }), async (c) => {
      const filter = c.req.valid('query');
      try {
        const page = await gateway.list(tenantOf(c), filter);
        return c.json(
          {
            items: page.items.map((item) => toSummary(c, item)),
            ...(page.nextCursor && { nextCursor: page.nextCursor }),
          },
          200,
          { 'Cache-Control': 'no-store' },
        );
      } catch (err) {
        // A string the schema allows, but not a cursor this API issued for this query.
        if (err instanceof InvalidCursorError) {
          throw new ProblemError({
            type: ProblemType.InvalidCursor,
            title: 'Invalid cursor',
            status: 422,
            detail: err.message,
            errors: [{ parameter: 'cursor', detail: err.message }],
          });
        }
        throw err;
      }
    });
}
