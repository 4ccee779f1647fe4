/** Real local peers for push tests: a webhook receiver and a Server-Sent Events client. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../../scripts/launcher.js';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  payload: { type: string; timestamp: string; data: { id: string; status: string } };
  /** Whether `standardwebhooks` verified the signature. */
  verified: boolean;
  answeredWith: number;
  at: number;
}

/**
 * A webhook receiver on loopback that verifies every delivery with the `standardwebhooks`
 * library and answers with the next status of `answers` (then 204).
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private server: Server | undefined;
  private readonly webhook: Webhook;

  constructor(
    secret: string,
    private readonly answers: number[] = [],
  ) {
    this.webhook = new Webhook(secret);
  }

  /** Listen (on `port`, or any free one); returns the URL to give as callback. */
  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        let verified = false;
        try {
          this.webhook.verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
        const status = this.answers.shift() ?? 204;
        this.deliveries.push({
          headers: req.headers,
          body,
          payload: JSON.parse(body) as Delivery['payload'],
          verified,
          answeredWith: status,
          at: Date.now(),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${bound}/hooks`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Wait until `count` deliveries arrived. */
  async waitFor(count: number, timeoutMs = 30_000): Promise<Delivery[]> {
    await eventually(
      () => this.deliveries.length,
      (arrived) => arrived >= count,
      { timeoutMs, intervalMs: 100, what: `${count} webhook deliveries`, show: (n) => `${n} arrived` },
    );
    return this.deliveries;
  }
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  /** `Date.now()` when the event arrived. */
  at: number;
}

export interface SseStream {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  /** Comment lines seen (keep-alives). */
  comments: number;
  /** Resolves when the server closes the stream. */
  closed: Promise<void>;
  abort(): void;
}

/** Open an event stream and collect its events as they arrive. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const stream: SseStream = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events: [],
    comments: 0,
    closed: Promise.resolve(),
    abort: () => controller.abort(),
  };
  if (!response.body || response.status !== 200) {
    await response.text().catch(() => '');
    return stream;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  stream.closed = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: '', at: Date.now() };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments++;
            else if (line.startsWith('id:')) event.id = line.slice(3).trim();
            else if (line.startsWith('event:')) event.event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) stream.events.push({ ...event, data: data.join('\n') });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return stream;
}

/** Wait until `done(stream)` holds (e.g. a number of events or keep-alives have arrived). */
export async function waitForStream(
  stream: SseStream,
  done: (stream: SseStream) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<SseStream> {
  return eventually(() => stream, done, {
    timeoutMs,
    intervalMs: 50,
    what,
    show: (s) =>
      `${s.events.length} events (ids ${s.events.map((e) => e.id).join(',')}), ${s.comments} comments`,
  });
}

/**
 * Orders event ids: as integers when both are decimal integers (of any size), as strings
 * otherwise. Ids only promise to increase; they need not be small, or numbers at all.
 */
export function compareEventIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
