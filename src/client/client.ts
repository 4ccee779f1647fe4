/**
 * `createLongrunClient`: a typed client of longrun's HTTP API. Every refusal throws
 * {@link LongrunProblemError}; `start` retries a request that got no answer with the same
 * `Idempotency-Key`, so a retry never starts a second process.
 */
import { randomUUID } from 'node:crypto';
import { isTerminal } from '../contract/process-status.js';
import type {
  ArtifactResource,
  ProcessPage,
  ProcessResource,
  ProcessSummaryResource,
} from '../contract/resources.js';
import type { KindName } from '../kinds/index.js';
import { LongrunProblemError } from './errors.js';
import { followEvents } from './events.js';
import { createSend, json, type HttpOptions, type Send } from './http.js';
import { sleep } from './sleep.js';
import type {
  DownloadedArtifact,
  EventsOptions,
  KindInput,
  ListFilter,
  StartOptions,
  UploadOptions,
  WaitOptions,
} from './types.js';
import { verifyWebhook } from './webhooks.js';

export interface LongrunClientOptions extends HttpOptions {
  /** Attempts of a start that gets no answer (a network failure, or 503), default 4. */
  startAttempts?: number;
}

export type LongrunClient = ReturnType<typeof createLongrunClient>;

/** The longest wait one request asks for; the server caps it further (its MAX_WAIT_SECONDS). */
const maxWaitPerRequest = 60;

/** What `start`'s retries sleep between attempts: 0.25 s, doubling. */
const retryDelayMs = (attempt: number) => 250 * 2 ** (attempt - 1);

/** Worth retrying with the same idempotency key: no answer at all, or Temporal unavailable. */
const retryable = (err: unknown) =>
  err instanceof LongrunProblemError
    ? err.status === 503
    : !(err instanceof DOMException && err.name === 'AbortError');

export function createLongrunClient(options: LongrunClientOptions) {
  const send: Send = createSend(options);
  const processPath = (id: string) => `/processes/${encodeURIComponent(id)}`;
  const get = async (id: string, waitSeconds?: number, signal?: AbortSignal) =>
    json<ProcessResource>(
      await send(processPath(id), {
        headers: waitSeconds ? { prefer: `wait=${waitSeconds}` } : {},
        ...(signal && { signal }),
      }),
    );

  return {
    /** Start a process of this kind; resolves as soon as it is accepted (or after `wait` seconds). */
    async start<K extends KindName>(
      kind: K,
      input: KindInput<K>,
      start: StartOptions = {},
    ): Promise<ProcessResource> {
      const body = JSON.stringify({ kind, input, ...(start.callback && { callback: start.callback }) });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': start.idempotencyKey ?? randomUUID(),
        ...(start.wait && { prefer: `wait=${start.wait}` }),
      };
      const attempts = options.startAttempts ?? 4;
      for (let attempt = 1; ; attempt++) {
        try {
          const init = { method: 'POST', headers, body, ...(start.signal && { signal: start.signal }) };
          return await json<ProcessResource>(await send('/processes', init));
        } catch (err) {
          if (attempt >= attempts || !retryable(err) || start.signal?.aborted) throw err;
          await sleep(retryDelayMs(attempt), start.signal);
        }
      }
    },

    /** The process as it is now. */
    get: (id: string, { signal }: { signal?: AbortSignal } = {}) => get(id, undefined, signal),

    /**
     * Resolves once the process has ended, or after `timeoutSeconds` with the process as it is
     * then (look at its `status`). Waits on the server (`Prefer: wait`), not by polling in a loop.
     */
    async wait(id: string, { timeoutSeconds, signal }: WaitOptions = {}): Promise<ProcessResource> {
      const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const left = Math.ceil((deadline - Date.now()) / 1000);
        const current = await get(id, left > 0 ? Math.min(left, maxWaitPerRequest) : undefined, signal);
        if (isTerminal(current.status) || Date.now() >= deadline) return current;
      }
    },

    /** Request cancellation; resolves with the process (`cancelRequested: true`). 409 once it has ended. */
    async cancel(id: string): Promise<ProcessResource> {
      return json<ProcessResource>(await send(`${processPath(id)}/cancel`, { method: 'POST' }));
    },

    /** Every process that matches, page after page. */
    async *list(filter: ListFilter = {}): AsyncGenerator<ProcessSummaryResource> {
      let cursor: string | undefined;
      do {
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(filter) as [string, string | number | undefined][]) {
          if (value !== undefined) query.set(name, String(value));
        }
        if (cursor) query.set('cursor', cursor);
        const page = await json<ProcessPage>(await send(`/processes?${query.toString()}`));
        yield* page.items;
        cursor = page.nextCursor;
      } while (cursor);
    },

    /** The process's changes as they happen, reconnecting when the connection drops; ends after the final status. */
    events: (id: string, eventsOptions: EventsOptions = {}): AsyncGenerator<ProcessResource> =>
      followEvents(send, id, eventsOptions),

    /** Store bytes as an artifact (a stream is sent as it is read, never held whole). */
    async uploadArtifact(
      body: Blob | Uint8Array | string | ReadableStream<Uint8Array>,
      { contentType = 'application/octet-stream', signal }: UploadOptions = {},
    ): Promise<ArtifactResource> {
      const init: RequestInit & { duplex?: 'half' } = {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: body as RequestInit['body'],
        ...(body instanceof ReadableStream && { duplex: 'half' }),
        ...(signal && { signal }),
      };
      return json<ArtifactResource>(await send('/artifacts', init));
    },

    /** An artifact's content, streamed. */
    async downloadArtifact(
      id: string,
      { signal }: { signal?: AbortSignal } = {},
    ): Promise<DownloadedArtifact> {
      const response = await send(`/artifacts/${encodeURIComponent(id)}`, { ...(signal && { signal }) });
      if (!response.body) throw new Error(`artifact ${id}: the answer has no body`);
      return {
        contentType: response.headers.get('content-type') ?? 'application/octet-stream',
        size: Number(response.headers.get('content-length')),
        sha256: (response.headers.get('etag') ?? '').replace(/^W\/|"/g, ''),
        body: response.body,
      };
    },

    /** Verify a webhook the server sent (Standard Webhooks) and return its event. */
    verifyWebhook,
  };
}
