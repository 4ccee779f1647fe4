/**
 * A Server-Sent Events parser (the WHATWG event stream format): bytes in, events out. Comments
 * (keep-alives) are skipped; `retry` is reported so a reconnect can honour it.
 */

export interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
}

export type SseItem = { event: ServerSentEvent } | { retryMs: number };

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return; // an event not ended by a blank line is dropped, as the format says
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0)
            yield {
              event: { ...(id !== undefined && { id }), event: event || 'message', data: data.join('\n') },
            };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) yield { retryMs: Number(value) };
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
