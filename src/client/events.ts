/**
 * `events(id)`: a process's event stream as an async iterator of process resources, one per
 * change, ending after the final status. A dropped connection (an API restart, a proxy's timeout)
 * is reconnected with `Last-Event-ID`, so nothing is seen twice and the final state is never missed.
 */
import { isTerminal } from '../contract/process-status.js';
import type { ProcessResource } from '../contract/resources.js';
import { LongrunProblemError } from './errors.js';
import type { Send } from './http.js';
import { parseSse } from './sse.js';
import type { EventsOptions } from './types.js';
import { sleep } from './sleep.js';

const initialRetryMs = 500;
const maxRetryMs = 5_000;

export async function* followEvents(
  send: Send,
  id: string,
  options: EventsOptions = {},
): AsyncGenerator<ProcessResource> {
  let lastEventId = options.lastEventId;
  let retryMs = initialRetryMs;
  let failures = 0;
  const maxReconnects = options.maxReconnects ?? 10;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const response = await send(`/processes/${encodeURIComponent(id)}/events`, {
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
        },
        ...(options.signal && { signal: options.signal }),
      });
      if (!response.body) throw new Error('the event stream has no body');
      let seen = false;
      for await (const item of parseSse(response.body)) {
        if ('retryMs' in item) {
          retryMs = item.retryMs;
          continue;
        }
        seen = true;
        failures = 0;
        if (item.event.id !== undefined) lastEventId = item.event.id;
        const resource = JSON.parse(item.event.data) as ProcessResource;
        yield resource;
        if (isTerminal(resource.status)) return;
      }
      // The stream ended before the final status: the server went away. Reconnect.
      if (!seen && ++failures > maxReconnects) throw new Error(`the event stream of ${id} keeps ending`);
    } catch (err) {
      // A refusal (404, 401…) is an answer, not a dropped connection; an abort is the caller's.
      if (err instanceof LongrunProblemError && err.status !== 503) throw err;
      if (options.signal?.aborted) throw err;
      if (++failures > maxReconnects) throw err;
    }
    await sleep(Math.min(retryMs * 2 ** Math.max(0, failures - 1), maxRetryMs), options.signal);
  }
}
