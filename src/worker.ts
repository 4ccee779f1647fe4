import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { createSignalProgressSink } from './activities/progress.js';
import { exitOnStartupError, loadConfig, loadTemporalConfig } from './config.js';
import { workflowsPath } from './workflows-path.js';

/** The worker process: hosts the orchestrator workflow and the runners. Scale it out freely. */
async function main(): Promise<void> {
  const config = loadConfig();
  const temporal = loadTemporalConfig();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  // Runners signal their own workflow (progress); that needs a client too.
  const clientConnection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace });

  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.TASK_QUEUE,
    workflowsPath,
    activities: createActivities({
      progress: createSignalProgressSink(client),
      progressIntervalMs: config.PROGRESS_SIGNAL_INTERVAL_MS,
    }),
    // Heartbeats carry checkpoints: flush them often so a retry loses little work.
    maxHeartbeatThrottleInterval: config.HEARTBEAT_FLUSH_INTERVAL_MS,
    shutdownGraceTime: '10s',
  });
  console.log(`longrun worker polling task queue ${config.TASK_QUEUE} (namespace ${temporal.namespace})`);
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done or the grace time passes
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}

main().catch(exitOnStartupError);
