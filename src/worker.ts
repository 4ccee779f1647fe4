import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { createSignalProgressSink } from './activities/progress/sink.js';
import { openArtifactStore } from './artifacts/index.js';
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
import { workflowsPath } from './workflows-path.js';

/**
 * The worker process: hosts the workflows, the runners, webhook delivery and the kinds as Nexus
 * operations (service `longrun`, for workflows in other namespaces). Scale it out freely.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const temporal = loadTemporalConfig();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  // Runners tell their own workflow when an attempt lasts (a signal); that needs a client too.
  const clientConnection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
  const artifacts = await openArtifactStore(config);
  const { keys, devOnly } = await loadKeyRing(config);
  // Tenants' webhook signing secrets live in the keys file; it is watched, so rotations apply.
  const apiKeys = await openKeyStore(config);
  const legacyWebhookSecrets = await loadWebhookSecrets(config);
  if (devOnly) {
    console.warn(
      `longrun worker: dev-only master key from ${devMasterKeyFile}; set MASTER_KEYS for real use`,
    );
  }
  if (config.RUNNER_THROTTLE_BYTES_PER_SEC > 0) {
    console.warn(
      `longrun worker: runners throttled to ${config.RUNNER_THROTTLE_BYTES_PER_SEC} bytes/s (a testing aid)`,
    );
  }

  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.TASK_QUEUE,
    workflowsPath,
    activities: createActivities({
      progress: createSignalProgressSink(client),
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      artifacts,
      keys,
      throttleBytesPerSec: config.RUNNER_THROTTLE_BYTES_PER_SEC,
      webhooks: {
        // A process from before tenants has none: its deliveries use WEBHOOK_SECRETS, as before.
        secretsFor: (tenant) =>
          tenant === undefined ? legacyWebhookSecrets : apiKeys.webhookSecrets(tenant),
        policy: parseCallbackPolicy(config.CALLBACK_ALLOW_HOSTS, config.CALLBACK_DENY_HOSTS),
        reports: createSignalDeliveryReportSink(client),
      },
    }),
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
    shutdownGraceTime: '10s',
  });
  console.log(`longrun worker polling task queue ${config.TASK_QUEUE} (namespace ${temporal.namespace})`);
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done or the grace time passes
  } finally {
    apiKeys.close();
    await clientConnection.close();
    await connection.close();
  }
}

main().catch(exitOnStartupError);
