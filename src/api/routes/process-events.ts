import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { isTerminal } from '../../contract/process-status.js';
import type { ProcessResource } from '../../contract/resources.js';
import type { ProcessGateway, ProcessSnapshot } from '../../gateway/port.js';

export interface EventStreamOptions {
  gateway: ProcessGateway;
  /** Comment keep-alives on idle streams. */
  keepAliveMs: number;
  toResource: (c: Context, snapshot: ProcessSnapshot) => ProcessResource;
  /** Aborted when the API drains: the stream ends with a `retry` hint, and the client reconnects elsewhere. */
  draining?: AbortSignal | undefined;
}

/** The reconnection delay a draining API suggests (SSE `retry`, in milliseconds). */
export const drainRetryMs = 1000;

/**
 * A process's live event stream (Server-Sent Events): one event per change of the shared watch,
 * ids increasing (the snapshot's revision: the same on every API instance), the last one the
 * final status. A reconnect with `Last-Event-ID` gets only what is newer than that id. When the
 * API drains, the stream ends early with a `retry` hint (the client reconnects, with its
 * `Last-Event-ID`, to another instance).
 */
export function streamProcessEvents(
  c: Context,
  tenant: string,
  id: string,
  options: EventStreamOptions,
): Response {
  const { gateway } = options;
  const lastEventId = Number(c.req.header('last-event-id'));
  let sentVersion = Number.isSafeInteger(lastEventId) ? lastEventId : 0;
  let sentStatus: string | undefined;
  c.header('Cache-Control', 'no-store');
  c.header('X-Accel-Buffering', 'no'); // let nginx-style proxies pass events through at once
  return streamSSE(c, async (stream) => {
    let wake: () => void = () => {};
    const queue: (ProcessSnapshot | undefined)[] = [];
    const unsubscribe = gateway.watch(tenant, id, (snapshot) => {
      queue.push(snapshot);
      wake();
    });
    stream.onAbort(unsubscribe);
    const drained = () => wake();
    options.draining?.addEventListener('abort', drained, { once: true });
    try {
      for (;;) {
        if (options.draining?.aborted) {
          await stream.write(`: this server is shutting down; reconnect\nretry: ${drainRetryMs}\n\n`);
          return;
        }
        const next = queue.shift();
        if (next === undefined && queue.length === 0) {
          // Nothing new: wait for a change, or send a keep-alive comment.
          const woke = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), options.keepAliveMs);
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
        const { state, revision } = next;
        const ended = isTerminal(state.status);
        // Revisions order every change; the final state always ends the stream, even stamped earlier.
        if (revision > sentVersion || (ended && sentStatus !== state.status)) {
          sentVersion = revision > sentVersion ? revision : sentVersion + 1;
          await stream.writeSSE({
            id: String(sentVersion),
            event: state.status === sentStatus ? 'progress' : 'status',
            data: JSON.stringify(options.toResource(c, next)),
          });
          sentStatus = state.status;
        }
        if (ended) return;
      }
    } finally {
      options.draining?.removeEventListener('abort', drained);
      unsubscribe();
    }
  });
}
