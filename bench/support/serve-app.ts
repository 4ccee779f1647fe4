/**
 * How the bench's own HTTP apps (the BullMQ build, the floor of a read) serve: on 127.0.0.1:PORT,
 * printing `listening on PORT` once they accept requests (the bench waits for that line), and on
 * SIGTERM closing the server, then what they hold open, then exiting.
 */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export function serveApp(app: Hono, closeRest: () => Promise<unknown>): void {
  const port = Number(process.env.PORT);
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
    console.log(`listening on ${port}`);
  });
  process.once('SIGTERM', () => {
    server.close();
    void closeRest().then(() => process.exit(0));
  });
}
