/**
 * The Temporal a test stack runs on. By default a dev server (in memory, or on a SQLite file when
 * the test restarts it). With `LONGRUN_TEST_TEMPORAL=cluster`, a Temporal cluster built from
 * source as `npm run stack:cluster` runs it (PostgreSQL, frontend, matching, worker service and two
 * history instances as separate processes: scripts/cluster), so that the end-to-end and
 * reliability suites run unchanged against a production-shaped server.
 */
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../scripts/launcher.js';
import {
  startTemporalCluster,
  type ClusterPartName,
  type TemporalCluster,
} from '../../scripts/cluster/temporal-cluster.js';

export type TemporalKind = 'dev-server' | 'cluster';

/** Which Temporal the suites run on, from `LONGRUN_TEST_TEMPORAL` (`dev-server`, the default, or `cluster`). */
export function temporalKind(): TemporalKind {
  const value = process.env.LONGRUN_TEST_TEMPORAL ?? 'dev-server';
  if (value !== 'dev-server' && value !== 'cluster')
    throw new Error(`LONGRUN_TEST_TEMPORAL must be dev-server or cluster, not ${JSON.stringify(value)}`);
  return value;
}

export interface TemporalUnderTest {
  kind: TemporalKind;
  /** The frontend, `127.0.0.1:port`: the same after a restart. */
  address: string;
  /** The cluster, for tests that break one part of it; undefined on a dev server. */
  cluster: TemporalCluster | undefined;
  /** Stop every Temporal process (`kill -9` or SIGTERM) and start them again where clients expect them, with their data. */
  restart(how: 'kill9' | 'sigterm'): Promise<void>;
  stop(): Promise<void>;
}

export interface TemporalOptions {
  /** The test stack's folder: a dev server's SQLite file or the cluster's data live below it. */
  dir: string;
  /** Keep a dev server's state in a file, so that it survives a restart (a cluster always does). */
  persistent?: boolean;
  uiPort?: number;
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Namespaces beyond `default`, each with longrun's search attributes. */
  namespaces: string[];
}

export function startTemporal(options: TemporalOptions): Promise<TemporalUnderTest> {
  return temporalKind() === 'cluster' ? onCluster(options) : onDevServer(options);
}

async function onDevServer(options: TemporalOptions): Promise<TemporalUnderTest> {
  const start = (port?: number, dbFilename?: string): Promise<DevServer> =>
    startDevServer({
      ...(port !== undefined && { port }),
      ...(dbFilename !== undefined && { dbFilename }),
      ...(options.uiPort !== undefined && { uiPort: options.uiPort }),
      ...(options.dynamicConfig && { dynamicConfig: options.dynamicConfig }),
      namespaces: options.namespaces,
    });
  let server = await start(undefined, options.persistent ? join(options.dir, 'temporal.db') : undefined);
  return {
    kind: 'dev-server',
    address: server.address,
    cluster: undefined,
    async restart(how) {
      const { port, dbFilename } = server;
      await (how === 'kill9' ? server.kill9() : server.stop());
      server = await start(port, dbFilename);
    },
    stop: () => server.stop(),
  };
}

async function onCluster(options: TemporalOptions): Promise<TemporalUnderTest> {
  const cluster = await startTemporalCluster({
    dataDir: join(options.dir, 'cluster'),
    ui: false,
    namespaces: ['default', ...options.namespaces],
    ...(options.dynamicConfig && { dynamicConfig: options.dynamicConfig }),
  });
  // PostgreSQL keeps the data; a restart is of the Temporal services, the frontend first.
  const services = cluster.parts.filter(
    (part): part is Exclude<ClusterPartName, 'postgres' | 'ui'> => !['postgres', 'ui'].includes(part),
  );
  return {
    kind: 'cluster',
    address: cluster.frontendAddress,
    cluster,
    async restart(how) {
      for (const part of [...services].reverse())
        await (how === 'kill9' ? cluster.kill9(part) : cluster.stopPart(part));
      await cluster.start('frontend');
      await Promise.all(services.filter((part) => part !== 'frontend').map((part) => cluster.start(part)));
    },
    stop: () => cluster.stop(),
  };
}
