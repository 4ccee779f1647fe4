import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { openArtifactStore } from '../artifacts/index.js';
import { exitOnStartupError, loadConfig, loadTemporalConfig } from '../config.js';
import { loadAccessTokenSecrets, openApiKeys } from '../auth/setup.js';
import { parseCallbackPolicy } from '../webhooks/callback-policy.js';
import { createApp } from './app.js';
import { answerClientErrors } from './client-errors.js';
import { createTemporalGateway } from '../gateway/temporal-gateway.js';

/** The API process: stateless, scale it out behind any load balancer. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Keys first: with NODE_ENV=production and no keys, stop before connecting to anything.
  const keys = await openApiKeys(config);
  const accessTokenSecrets = await loadAccessTokenSecrets(config);
  const temporal = loadTemporalConfig();
  const connection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({ connection, namespace: temporal.namespace });
  const gateway = createTemporalGateway({
    client,
    taskQueue: config.TASK_QUEUE,
    uiBaseUrl: config.TEMPORAL_UI_URL,
    terminalCacheSize: config.TERMINAL_CACHE_SIZE,
    watchIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
  });
  const app = createApp({
    gateway,
    maxBodyBytes: config.MAX_BODY_BYTES,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    maxWaitSeconds: config.MAX_WAIT_SECONDS,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    // A tenant may have callbacks once it has a webhook signing secret in the keys file.
    callbacks: { policy: parseCallbackPolicy(config.CALLBACK_ALLOW_HOSTS, config.CALLBACK_DENY_HOSTS) },
    auth: { keys, accessTokenSecrets },
    eventsKeepAliveMs: config.EVENTS_KEEPALIVE_MS,
    artifacts: { store: await openArtifactStore(config), maxBytes: config.MAX_ARTIFACT_BYTES },
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    console.log(
      `longrun API listening on http://${config.HOST}:${info.port} (namespace ${temporal.namespace}, task queue ${config.TASK_QUEUE})`,
    );
  });
  answerClientErrors(server);

  const stop = (): void => {
    server.close(() => void connection.close().finally(() => process.exit(0)));
    // Keep-alive connections may hold close() open; do not wait for them forever.
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(exitOnStartupError);
