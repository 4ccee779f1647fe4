/**
 * The worker's Temporal Runtime (the SDK's native core), installed once before any connection:
 * its logs (the native core's too) go through longrun's logger, and, when the worker serves
 * metrics, its Prometheus exporter listens on a loopback port of its own (see worker-http.ts).
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from './logger.js';
import { temporalLevelOf, temporalLogger } from './temporal-logger.js';
import { freeLoopbackPort } from '../shared/free-port.js';

export interface RuntimeOptions {
  logger: Logger;
  /** Start the SDK's Prometheus exporter. */
  metrics: boolean;
}

/** Install the Runtime; resolves to the URL of the SDK's metrics, when exported. */
export async function installTemporalRuntime({
  logger,
  metrics,
}: RuntimeOptions): Promise<string | undefined> {
  const port = metrics ? await freeLoopbackPort() : undefined;
  const level = temporalLevelOf(logger.level);
  Runtime.install({
    logger: temporalLogger(logger),
    // Native dependencies of the core only say something when it matters.
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: level, other: 'WARN' }) },
      ...(port !== undefined && {
        metrics: {
          prometheus: {
            bindAddress: `127.0.0.1:${port}`,
            // Prometheus's conventions: counters end in _total, durations are in seconds, units named.
            countersTotalSuffix: true,
            unitSuffix: true,
            useSecondsForDurations: true,
          },
        },
      }),
    },
  });
  return port === undefined ? undefined : `http://127.0.0.1:${port}/metrics`;
}
