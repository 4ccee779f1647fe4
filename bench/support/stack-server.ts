/**
 * The Temporal under a bench stack: a dev server (in memory, or on a SQLite file), or a cluster as
 * `npm run stack:cluster` runs it (scripts/cluster: PostgreSQL, frontend, matching, the worker
 * service and two history instances, each its own process; no Web UI), its data in the stack's
 * folder. The measures see its processes by name, to sum their CPU, and its metrics endpoints.
 */
import { join } from 'node:path';
import { startDevServer } from '../../scripts/launcher.js';
import { startTemporalCluster, type ClusterPartName } from '../../scripts/cluster/temporal-cluster.js';
import { log } from './log.js';

export interface StackServer {
  /** `dev server` or `cluster`, for the page. */
  readonly label: string;
  /** The frontend, `host:port`. */
  readonly address: string;
  /** The server's processes by name (one for a dev server; PostgreSQL and every Temporal service of a cluster). */
  readonly parts: Record<string, number>;
  /** Prometheus `/metrics` of every Temporal process (the persistence operations are counted over all). */
  readonly metricsUrls: string[];
  /** Why the server cannot serve (a process of it exited), or undefined. */
  gone(): string | undefined;
  stop(): Promise<void>;
}

/** What the page calls a cluster's part: its worker service is not longrun's worker. */
const partLabel = (part: ClusterPartName) => (part === 'worker' ? 'worker service' : part);

export async function startServer(kind: 'memory' | 'durable' | 'cluster', dir: string): Promise<StackServer> {
  if (kind !== 'cluster') {
    const server = await startDevServer(kind === 'durable' ? { dbFilename: join(dir, 'temporal.db') } : {});
    return {
      label: 'dev server',
      address: server.address,
      parts: { 'dev server': server.pid },
      metricsUrls: [server.metricsUrl],
      gone: () => (server.alive() ? undefined : `the dev server exited:\n${server.output().slice(-2000)}`),
      stop: () => server.stop(),
    };
  }
  const t0 = performance.now();
  const cluster = await startTemporalCluster({
    dataDir: join(dir, 'cluster'),
    ui: false,
    namespaces: ['default'],
    logDir: join(dir, 'cluster', 'logs'),
    log: (line) => log(`cluster: ${line}`),
  });
  log(`cluster up in ${Math.round((performance.now() - t0) / 1000)} s (logs in ${dir}/cluster/logs)`);
  const parts = cluster.parts.filter((part) => part !== 'ui');
  const { ports } = cluster;
  return {
    label: 'cluster',
    address: cluster.frontendAddress,
    get parts() {
      return Object.fromEntries(parts.map((part) => [partLabel(part), cluster.process(part).pid]));
    },
    metricsUrls: [ports.frontend, ports.matching, ports.worker, ...ports.history].map(
      (service) => `http://127.0.0.1:${service.metrics}/metrics`,
    ),
    gone: () => {
      const dead = parts.find((part) => !cluster.process(part).alive());
      return dead && `the cluster's ${dead} exited:\n${cluster.process(dead).output().slice(-2000)}`;
    },
    stop: () => cluster.stop(),
  };
}
