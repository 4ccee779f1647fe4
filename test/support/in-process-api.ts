/**
 * The API built inside the test process, with a Temporal client of its own: only for the tests
 * that must observe the API's internals (e.g. count the reads it makes by wrapping that
 * client). Everything else runs the API from its real entry point (test/support/stack.ts).
 * Its settings are those test/support/stack.ts gives an API process.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../scripts/launcher.js';
import { createApp } from '../../src/api/app.js';
import { createTemporalGateway } from '../../src/gateway/temporal-gateway.js';
import { LocalArtifactStore } from '../../src/artifacts/local-store.js';
import { parseCallbackPolicy } from '../../src/webhooks/callback-policy.js';
import type { TestStack } from './stack.js';

export interface InProcessApi {
  url: string;
  /** The client the API reads and starts processes with. */
  client: Client;
  close(): Promise<void>;
}

export async function startInProcessApi(stack: TestStack): Promise<InProcessApi> {
  const client = await connectClient(stack.address);
  const gateway = createTemporalGateway({
    client,
    taskQueue: stack.taskQueue,
    uiBaseUrl: stack.uiBaseUrl,
    terminalCacheSize: 1000,
    watchIntervalMs: 200,
  });
  const app = createApp({
    gateway,
    maxBodyBytes: 1024 * 1024,
    retryAfterSeconds: 1,
    maxWaitSeconds: 60,
    artifacts: { store: await LocalArtifactStore.open(stack.artifactsDir), maxBytes: 1024 ** 3 },
    callbacks: { enabled: true, policy: parseCallbackPolicy('', '') },
    eventsKeepAliveMs: 15_000,
    logError: (err) => console.error('[in-process api]', err),
  });
  const server: ServerType = await new Promise((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    client,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await client.connection.close();
    },
  };
}
