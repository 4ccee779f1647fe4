/**
 * Graceful drain of an API process (SIGTERM, as any orchestrator sends before it stops one):
 *  1. at once, `/readyz` answers 503 `draining`, every answer closes its connection, waits
 *     (`Prefer: wait`) answer their current state early and event streams end with a `retry`
 *     hint, while everything is still served, for `delayMs`: load balancers stop sending here;
 *  2. then the listener closes (no new connections) and idle keep-alive connections with it;
 *  3. requests in flight are answered (at most `timeoutMs`), then the remaining connections close.
 * A start that Temporal has accepted is always answered: nothing is cut off after a fixed time.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MiddlewareHandler } from 'hono';
import type { ReadinessCheck } from '../observability/readiness.js';

export class Drain {
  private readonly controller = new AbortController();
  /** Aborted when draining begins: waits and event streams end early on it. */
  readonly signal = this.controller.signal;
  private inFlight = 0;
  private idle: (() => void) | undefined;

  get draining(): boolean {
    return this.signal.aborted;
  }

  /** The readiness check that fails once draining. */
  check = (): ReadinessCheck[] =>
    this.draining ? [{ name: 'draining', ok: false, detail: 'shutting down: send requests elsewhere' }] : [];

  /** While draining, every answer asks the client to close its connection (the next request goes elsewhere). */
  closeConnections: MiddlewareHandler = async (c, next) => {
    await next();
    if (this.draining) c.res.headers.set('Connection', 'close');
  };

  /** Count the requests in flight on `server` (an event stream is in flight until it ends). */
  track(server: Pick<Server, 'on'>): void {
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.inFlight++;
      res.once('close', () => {
        if (--this.inFlight === 0) this.idle?.();
      });
    });
  }

  /** Drain `server` as described above; resolves when it is safe to exit. */
  async run(
    server: Pick<Server, 'close' | 'closeIdleConnections' | 'closeAllConnections'>,
    { delayMs, timeoutMs }: { delayMs: number; timeoutMs: number },
    log: (message: string, fields?: Record<string, unknown>) => void,
  ): Promise<void> {
    this.controller.abort();
    log('draining: /readyz answers 503', { delayMs, inFlight: this.inFlight });
    await sleep(delayMs);
    server.close();
    server.closeIdleConnections();
    log('draining: stopped accepting connections', { inFlight: this.inFlight });
    const done = await Promise.race([this.untilIdle().then(() => true), sleep(timeoutMs, false)]);
    if (!done)
      log('draining: gave up waiting for requests in flight', { inFlight: this.inFlight, timeoutMs });
    server.closeAllConnections();
  }

  private untilIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}
