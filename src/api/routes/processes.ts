import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { toProcessResource } from '../../shared/process-resource.js';
import { defaultWebhookEvents, type WebhookEventType } from '../../shared/webhooks.js';
import { checkCallbackUrl, type CallbackPolicy } from '../../webhooks/callback-policy.js';
import { isTerminal } from '../../shared/process-state.js';
import {
  IdempotencyConflictError,
  InvalidCursorError,
  type ProcessGateway,
  type ProcessSnapshot,
  type ProcessSummary,
} from '../gateway.js';
import { limitBody } from '../body-limit.js';
import { preferredWaitSeconds } from '../prefer.js';
import { checkRunnerInput } from '../runner-checks.js';
import type { RunnerCheckDeps } from '../../activities/runner-kind.js';
import { ProblemError, ProblemType } from '../problem.js';
import {
  listQuery,
  pollingHeaders,
  problemContent,
  processIdParams,
  processPage,
  processResource,
  startHeaders,
  startProcessRequest,
  waitHeaders,
  type ProcessResource,
  type ProcessSummaryResource,
} from '../schemas.js';
import { validationHook } from '../validation.js';

export interface ProcessRoutesOptions {
  gateway: ProcessGateway;
  /** Whether callbacks are accepted (webhook secrets configured), and which URLs. */
  callbacks: { enabled: boolean; policy: CallbackPolicy };
  /** Comment keep-alives on event streams. */
  eventsKeepAliveMs: number;
  /** What kinds' own input checks consult (the artifact store). */
  runnerChecks?: RunnerCheckDeps | undefined;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Cap for `Prefer: wait=N`. */
  maxWaitSeconds: number;
  /** Base for absolute URLs; undefined → the request's own origin. */
  publicBaseUrl: string | undefined;
}

const processJson = { 'application/json': { schema: processResource } } as const;
const preferenceApplied = {
  'Preference-Applied': {
    description: '`wait=N` when the wait preference was honoured.',
    schema: { type: 'string' as const },
  },
};
const notFound = { description: 'No such process.', content: problemContent };

const startRoute = createRoute({
  method: 'post',
  path: '/processes',
  summary: 'Start a process',
  description:
    'Accepts the command at once and runs it in the background; poll `Location`. With `Prefer: wait=N` the answer ' +
    'waits up to N seconds for the process to end. With an `Idempotency-Key`, repeats of the same request return the same process.',
  request: {
    headers: startHeaders,
    body: { required: true, content: { 'application/json': { schema: startProcessRequest } } },
  },
  responses: {
    200: {
      description: 'Waited (`Prefer: wait`) and the process has ended.',
      headers: preferenceApplied,
      content: processJson,
    },
    202: {
      description: 'Accepted; the process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
    },
    400: { description: 'Malformed JSON or invalid input.', content: problemContent },
    413: { description: 'Body too large.', content: problemContent },
    415: { description: 'Body is not JSON.', content: problemContent },
    422: {
      description: 'The Idempotency-Key was used before with a different body.',
      content: problemContent,
    },
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/processes/{id}',
  summary: 'Get a process',
  request: { params: processIdParams, headers: waitHeaders },
  responses: {
    200: {
      description: 'The process has ended (succeeded, failed or canceled).',
      headers: preferenceApplied,
      content: processJson,
    },
    202: {
      description: 'The process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
    },
    404: notFound,
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/processes/{id}/cancel',
  summary: 'Cancel a process',
  description:
    'Requests cancellation: a queued process never starts its runner; a running runner stops at its next heartbeat and cleans up. ' +
    'Repeating the call is harmless.',
  request: { params: processIdParams },
  responses: {
    202: {
      description: 'Cancel requested (`cancelRequested: true`).',
      headers: pollingHeaders,
      content: processJson,
    },
    404: notFound,
    409: { description: 'The process has already ended.', content: problemContent },
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/processes',
  summary: 'List processes',
  description:
    'Served by Temporal visibility. Order: queued and running processes first, newest created first; then ended ones, ' +
    'most recently ended first. Pass `nextCursor` back as `cursor` with the same filters for the next page.',
  request: { query: listQuery },
  responses: {
    200: { description: 'A page of processes.', content: { 'application/json': { schema: processPage } } },
    400: { description: 'Invalid filter or cursor.', content: problemContent },
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/processes/{id}/events',
  summary: 'Follow a process (Server-Sent Events)',
  description:
    'A `text/event-stream`: one event per status or progress change, each carrying the process resource, ' +
    'with increasing ids (the process version); the stream closes after the event with the final status. ' +
    'Reconnect with `Last-Event-ID` to resume: the first event is then the current state if it is newer. ' +
    'Event names: `status` when the status changed, `progress` otherwise.',
  request: { params: processIdParams },
  responses: {
    200: {
      description: 'The event stream.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    404: notFound,
  },
});

export function processRoutes(options: ProcessRoutesOptions) {
  const { gateway } = options;
  const tooLarge = limitBody({
    maxBytes: options.maxBodyBytes,
    onTooLarge: () => {
      throw new ProblemError({
        type: ProblemType.PayloadTooLarge,
        title: 'Request body too large',
        status: 413,
        detail: `The body exceeds ${options.maxBodyBytes} bytes.`,
      });
    },
  });

  // PUBLIC_BASE_URL may carry a path prefix (an API served under /longrun/ by a proxy): keep it.
  const base = options.publicBaseUrl?.replace(/\/?$/, '/');
  const selfUrl = (c: Context, id: string): string =>
    new URL(`processes/${encodeURIComponent(id)}`, base ?? new URL('/', c.req.url)).toString();

  const toResource = (c: Context, { state, uiUrl, deliveries }: ProcessSnapshot): ProcessResource =>
    toProcessResource(state, { self: selfUrl(c, state.id), ui: uiUrl }, deliveries);

  const toSummary = (c: Context, summary: ProcessSummary): ProcessSummaryResource => ({
    id: summary.id,
    kind: summary.kind,
    status: summary.status,
    createdAt: summary.createdAt,
    ...(summary.completedAt !== undefined && { completedAt: summary.completedAt }),
    links: { self: selfUrl(c, summary.id), ui: summary.uiUrl },
  });

  const notFoundProblem = (id: string) =>
    new ProblemError({
      type: ProblemType.NotFound,
      title: 'Process not found',
      status: 404,
      detail: `No process has id "${id}".`,
    });

  /** 200 once ended; 202 with where and when to poll while not. */
  const answer = (c: Context, found: ProcessSnapshot, waitedSeconds: number | undefined) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (waitedSeconds !== undefined) headers['Preference-Applied'] = `wait=${waitedSeconds}`;
    if (isTerminal(found.state.status)) return c.json(toResource(c, found), 200, headers);
    headers.Location = selfUrl(c, found.state.id);
    headers['Retry-After'] = String(options.retryAfterSeconds);
    return c.json(toResource(c, found), 202, headers);
  };

  /** A callback must pass the callback policy now; delivery checks again at connect time. */
  const acceptCallback = async ({
    url,
    events,
  }: {
    url: string;
    events?: WebhookEventType[] | undefined;
  }) => {
    const refused = options.callbacks.enabled
      ? await checkCallbackUrl(url, options.callbacks.policy)
      : 'webhooks are not configured on this server (WEBHOOK_SECRETS)';
    if (refused) {
      throw new ProblemError({
        type: ProblemType.ValidationFailed,
        title: 'Invalid request',
        status: 400,
        detail: `The callback URL is refused: ${refused}.`,
        errors: [{ pointer: '/callback/url', detail: refused }],
      });
    }
    return { url, events: events ? [...new Set(events)] : defaultWebhookEvents };
  };

  const waitFor = (id: string, seconds: number | undefined) =>
    seconds === undefined || seconds === 0 ? gateway.get(id) : gateway.waitForEnd(id, seconds * 1000);

  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi({ ...startRoute, middleware: [tooLarge] }, async (c) => {
      const command = c.req.valid('json');
      await checkRunnerInput(options.runnerChecks, command); // e.g. that an artifactId exists
      const headers = c.req.valid('header');
      const waitSeconds = preferredWaitSeconds(headers.prefer, options.maxWaitSeconds);
      const callback = command.callback && (await acceptCallback(command.callback));
      let started: ProcessSnapshot;
      try {
        started = await gateway.start({
          kind: command.kind,
          input: command.input,
          callback,
          idempotencyKey: headers['idempotency-key'],
          selfUrl: (id) => selfUrl(c, id),
        });
      } catch (err) {
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
          : ((await waitFor(started.state.id, waitSeconds)) ?? started);
      return answer(c, current, waitSeconds);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const waitSeconds = preferredWaitSeconds(c.req.valid('header').prefer, options.maxWaitSeconds);
      const found = await waitFor(id, waitSeconds);
      if (!found) throw notFoundProblem(id);
      return answer(c, found, waitSeconds);
    })
    .openapi(eventsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const current = await gateway.get(id);
      if (!current) throw notFoundProblem(id);
      const lastEventId = Number(c.req.header('last-event-id'));
      let sentVersion = Number.isSafeInteger(lastEventId) ? lastEventId : 0;
      let sentStatus: string | undefined;
      c.header('Cache-Control', 'no-store');
      c.header('X-Accel-Buffering', 'no'); // let nginx-style proxies pass events through at once
      return streamSSE(c, async (stream) => {
        let wake: () => void = () => {};
        const queue: (ProcessSnapshot | undefined)[] = [];
        const unsubscribe = gateway.watch(id, (snapshot) => {
          queue.push(snapshot);
          wake();
        });
        stream.onAbort(unsubscribe);
        try {
          for (;;) {
            const next = queue.shift();
            if (next === undefined && queue.length === 0) {
              // Nothing new: wait for a change, or send a keep-alive comment.
              const woke = await new Promise<boolean>((resolve) => {
                const timer = setTimeout(() => resolve(false), options.eventsKeepAliveMs);
                wake = () => {
                  clearTimeout(timer);
                  resolve(true);
                };
              });
              if (stream.aborted) return;
              if (!woke) await stream.write(': keep-alive\n\n');
              continue;
            }
            if (!next) return; // the process vanished
            const { state } = next;
            const ended = isTerminal(state.status);
            // Versions order every change; a state read without the workflow (no worker) still ends the stream.
            if (state.version > sentVersion || (ended && sentStatus !== state.status)) {
              sentVersion = state.version > sentVersion ? state.version : sentVersion + 1;
              await stream.writeSSE({
                id: String(sentVersion),
                event: state.status === sentStatus ? 'progress' : 'status',
                data: JSON.stringify(toResource(c, next)),
              });
              sentStatus = state.status;
            }
            if (ended) return;
          }
        } finally {
          unsubscribe();
        }
      });
    })
    .openapi(cancelRoute, async (c) => {
      const { id } = c.req.valid('param');
      const result = await gateway.cancel(id);
      if (!result) throw notFoundProblem(id);
      if (result.outcome === 'already-ended') {
        throw new ProblemError({
          type: ProblemType.AlreadyEnded,
          title: 'The process has already ended',
          status: 409,
          detail: `Process "${id}" is ${result.snapshot.state.status}; there is nothing to cancel.`,
        });
      }
      return c.json(toResource(c, result.snapshot), 202, {
        Location: selfUrl(c, id),
        'Retry-After': String(options.retryAfterSeconds),
        'Cache-Control': 'no-store',
      });
    })
    .openapi(listRoute, async (c) => {
      const filter = c.req.valid('query');
      try {
        const page = await gateway.list(filter);
        return c.json(
          {
            items: page.items.map((item) => toSummary(c, item)),
            ...(page.nextCursor && { nextCursor: page.nextCursor }),
          },
          200,
          { 'Cache-Control': 'no-store' },
        );
      } catch (err) {
        if (err instanceof InvalidCursorError) {
          throw new ProblemError({
            type: ProblemType.InvalidCursor,
            title: 'Invalid cursor',
            status: 400,
            detail: err.message,
            errors: [{ parameter: 'cursor', detail: err.message }],
          });
        }
        throw err;
      }
    });
}
