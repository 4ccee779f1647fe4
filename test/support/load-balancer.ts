/**
 * A tiny HTTP load balancer for the rolling-restart test, doing what any load balancer does:
 * round robin over the backends its health checks (`/readyz`, every 200 ms) find ready; a
 * connection refused by one backend is retried on the next (nothing was sent yet); responses,
 * event streams included, are piped through as they come. Anything else that goes wrong between
 * it and a backend reaches the client as a 502 or a cut stream, and is counted in `failures`.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers of one hop only: never forwarded (RFC 9110 §7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
]);
const forwardable = (headers: IncomingHttpHeaders): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));

export class LoadBalancer {
  /** What went wrong between the balancer and a backend, as the client would have seen it. */
  readonly failures: string[] = [];
  /** Connections refused by a backend and retried on another. */
  refusedAndRetried = 0;
  private readonly ready = new Map<number, boolean>();
  private next = 0;
  private server: Server | undefined;
  private checks: NodeJS.Timeout | undefined;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly ports: number[]) {
    for (const port of ports) this.ready.set(port, true);
  }

  /** Whether the last health check found `port` ready. */
  isReady(port: number): boolean {
    return this.ready.get(port) === true;
  }

  async listen(): Promise<string> {
    this.checks = setInterval(() => void this.checkHealth(), 200);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        // Ready backends first, in round-robin order; the others only as a last resort.
        const start = this.next++ % this.ports.length;
        const order = [...this.ports.slice(start), ...this.ports.slice(0, start)];
        const candidates = [
          ...order.filter((p) => this.isReady(p)),
          ...order.filter((p) => !this.isReady(p)),
        ];
        const attempt = (index: number): void => {
          const port = candidates[index]!;
          const upstream = request(
            {
              host: '127.0.0.1',
              port,
              method: req.method,
              path: req.url,
              headers: { ...forwardable(req.headers), 'content-length': String(body.length) },
              agent: this.agent,
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
              answer.pipe(res);
              answer.on('aborted', () => {
                this.failures.push(`${req.method} ${req.url}: backend ${port} cut the response`);
                res.destroy();
              });
            },
          );
          upstream.on('error', (err: NodeJS.ErrnoException) => {
            if (err.code === 'ECONNREFUSED' && index + 1 < candidates.length) {
              this.refusedAndRetried++;
              attempt(index + 1);
              return;
            }
            if (res.destroyed) return; // the client went away first
            this.failures.push(`${req.method} ${req.url}: backend ${port}: ${err.code ?? err.message}`);
            if (res.headersSent) res.destroy();
            else res.writeHead(502).end();
          });
          // The client went away mid-answer (e.g. it closed an event stream): so does the backend request.
          res.on('close', () => {
            if (!res.writableFinished) upstream.destroy();
          });
          upstream.end(body);
        };
        attempt(0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    clearInterval(this.checks);
    this.agent.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async checkHealth(): Promise<void> {
    await Promise.all(
      this.ports.map(async (port) => {
        try {
          const answer = await fetch(`http://127.0.0.1:${port}/readyz`, {
            signal: AbortSignal.timeout(1000),
          });
          await answer.body?.cancel();
          this.ready.set(port, answer.ok);
        } catch {
          this.ready.set(port, false);
        }
      }),
    );
  }
}
