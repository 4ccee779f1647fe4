import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { createSignalProgressSink } from './activities/progress/sink.js';
import { openArtifactStore } from './artifacts/index.js';
import { checkTemporal } from './gateway/readiness.js';
import { kindNames } from './kinds/index.js';
import { createLogger } from './observability/logger.js';
import { Readiness, checkArtifactStore } from './observability/readiness.js';
import { runnerMetricsInterceptor } from './observability/runner-interceptor.js';
import { installTemporalRuntime } from './observability/temporal-runtime.js';
import { startTracing } from './observability/tracing.js';
import { serveWorkerHttp, type WorkerHttp } from './observability/worker-http.js';
import { WorkerMetrics } from './observability/worker-metrics.js';
import { createNexusOperations } from './nexus/operations.js';
import { createSignalDeliveryReportSink } from './webhooks/delivery.js';
import {
  devMasterKeyFile,
  exitOnStartupError,
  loadConfig,
  loadKeyRing,
  loadTemporalConfig,
  loadWebhookSecrets,
} from './config.js';
import { openKeyStore } from './auth/setup.js';
import { parseCallbackPolicy } from './webhooks/callback-policy.js';
import { workflowSource } from './workflow-source.js';

/**
 * The worker process: hosts the workflows, the runners, webhook delivery and the kinds as Nexus
 * operations (service `longrun`, for workflows in other namespaces). Scale it out freely.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({
    service: 'worker',
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    nodeEnv: config.NODE_ENV,
  });
  const serveHttp = config.WORKER_METRICS_PORT !== undefined;
  // Before any connection: the Runtime's logs and metrics are set up once, here.
  const temporalMetricsUrl = await installTemporalRuntime({ logger, metrics: serveHttp });
  const tracing = await startTracing(config, 'longrun-worker');
  const source = workflowSource(tracing.enabled);
  const temporal = loadTemporalConfig();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  // Runners tell their own workflow when an attempt lasts (a signal); that needs a client too.
  const clientConnection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({
    connection: clientConnection,
    namespace: temporal.namespace,
    plugins: tracing.enabled ? [tracing.plugin] : [],
  });
  const artifacts = await openArtifactStore(config);
  const { keys, devOnly } = await loadKeyRing(config);
  // Tenants' webhook signing secrets live in the keys file; it is watched, so rotations apply.
  const apiKeys = await openKeyStore(config);
  const legacyWebhookSecrets = await loadWebhookSecrets(config);
  if (devOnly) {
    logger.warn(`dev-only master key from ${devMasterKeyFile}; set MASTER_KEYS for real use`);
  }
  if (config.RUNNER_THROTTLE_BYTES_PER_SEC > 0) {
    logger.warn(`runners throttled to ${config.RUNNER_THROTTLE_BYTES_PER_SEC} bytes/s (a testing aid)`);
  }

  const metrics = new WorkerMetrics();
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.TASK_QUEUE,
    ...source,
    activities: createActivities({
      progress: createSignalProgressSink(client),
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      artifacts,
      keys,
      throttleBytesPerSec: config.RUNNER_THROTTLE_BYTES_PER_SEC,
      metrics,
      webhooks: {
        // A process from before tenants has none: its deliveries use WEBHOOK_SECRETS, as before.
        secretsFor: (tenant) =>
          tenant === undefined ? legacyWebhookSecrets : apiKeys.webhookSecrets(tenant),
        policy: parseCallbackPolicy(config.CALLBACK_ALLOW_HOSTS, config.CALLBACK_DENY_HOSTS),
        reports: createSignalDeliveryReportSink(client),
      },
    }),
    // Temporal's OpenTelemetry interceptors (and the sink of workflow spans) only with tracing on:
    // in every running workflow they cost memory (P4: ~880 MiB per 1,000 running, 256 without).
    plugins: tracing.enabled ? [tracing.plugin] : [],
    interceptors: { activity: [runnerMetricsInterceptor(metrics, kindNames)] },
    // Reached through a Nexus endpoint whose target is this namespace and task queue.
    nexusServices: [
      createNexusOperations({
        settings: { taskQueue: config.TASK_QUEUE, uiBaseUrl: config.TEMPORAL_UI_URL },
        tenant: config.NEXUS_TENANT,
        services: { artifacts },
      }),
    ],
    maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_RUNNERS,
    // The progress reporter paces heartbeats itself (news at most every PROGRESS_INTERVAL_MS,
    // keep-alives at 4/5 of the kind's heartbeat timeout): the SDK must not hold them longer.
    maxHeartbeatThrottleInterval: config.PROGRESS_INTERVAL_MS,
    defaultHeartbeatThrottleInterval: config.PROGRESS_INTERVAL_MS,
    // After SIGTERM, runners go on this long; then they record a last checkpoint and stop.
    shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_MS,
  });

  let http: WorkerHttp | undefined;
  if (config.WORKER_METRICS_PORT !== undefined) {
    const readiness = new Readiness(
      async () => [...(await checkTemporal(client)), await checkArtifactStore(artifacts)],
      () => {
        const state = worker.getState();
        return [{ name: 'worker', ok: state === 'RUNNING', detail: state.toLowerCase() }];
      },
    );
    http = await serveWorkerHttp({
      port: config.WORKER_METRICS_PORT,
      host: config.WORKER_METRICS_HOST,
      metrics,
      temporalMetricsUrl,
      readiness,
      alive: () => worker.getState() !== 'FAILED',
      logger,
    });
  }
  logger.info(
    {
      taskQueue: config.TASK_QUEUE,
      namespace: temporal.namespace,
      workflows: 'workflowBundle' in source ? source.workflowBundle.codePath : source.workflowsPath,
      ...(http && { metricsPort: http.port }),
      tracing: tracing.describe,
    },
    `longrun worker starting on task queue ${config.TASK_QUEUE} (namespace ${temporal.namespace})`,
  );
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done or the grace time passes
  } finally {
    apiKeys.close();
    await http?.close();
    await clientConnection.close();
    await connection.close();
    await tracing.shutdown();
    logger.info('stopped');
  }
}

main().catch(exitOnStartupError);
