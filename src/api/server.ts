import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { openArtifactStore } from '../artifacts/index.js';
import { loadAccessTokenSecrets, openApiKeys } from '../auth/setup.js';
import { exitOnStartupError, loadConfig, loadTemporalConfig } from '../config.js';
import { ApiMetrics } from '../observability/api-metrics.js';
import { createLogger } from '../observability/logger.js';
import { startTracing } from '../observability/tracing.js';
import { parseCallbackPolicy } from '../webhooks/callback-policy.js';
import { createApp } from './app.js';
import { answerClientErrors } from './client-errors.js';
import { Drain } from './drain.js';
import { createTemporalGateway } from '../gateway/temporal-gateway.js';

/** The API process: stateless, scale it out behind any load balancer. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Keys first: with NODE_ENV=production and no keys, stop before connecting to anything.
  const keys = await openApiKeys(config);
  const accessTokenSecrets = await loadAccessTokenSecrets(config);
  const logger = createLogger({
    service: 'api',
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    nodeEnv: config.NODE_ENV,
  });
  const tracing = await startTracing(config, 'longrun-api');
  const temporal = loadTemporalConfig();
  const connection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    // The workflow start continues the request's trace.
    plugins: tracing.enabled ? [tracing.plugin] : [],
  });
  const metrics = new ApiMetrics();
  const gateway = createTemporalGateway({
    client,
    taskQueue: config.TASK_QUEUE,
    uiBaseUrl: config.TEMPORAL_UI_URL,
    terminalCacheSize: config.TERMINAL_CACHE_SIZE,
    watchIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
    metrics,
  });
  const drain = new Drain();
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
    logger,
    metrics,
    tracing: tracing.enabled,
    drain,
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info(
      {
        port: info.port,
        namespace: temporal.namespace,
        taskQueue: config.TASK_QUEUE,
        tracing: tracing.describe,
      },
      `longrun API listening on http://${config.HOST}:${info.port} (namespace ${temporal.namespace}, task queue ${config.TASK_QUEUE})`,
    );
  }) as Server;
  answerClientErrors(server);
  drain.track(server);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal}: draining`);
    void (async () => {
      try {
        await drain.run(
          server,
          { delayMs: config.DRAIN_DELAY_MS, timeoutMs: config.DRAIN_TIMEOUT_MS },
          (message, fields) => logger.info(fields ?? {}, message),
        );
        await connection.close();
        keys.close();
        await tracing.shutdown();
        logger.info('stopped');
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      } finally {
        process.exit(0);
      }
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(exitOnStartupError);
