/**
 * The ports of a local Temporal cluster and the configuration files its processes read: one server
 * config for every service (Temporal renders it as a Go template, so that the two history
 * instances differ only by environment variables, as pods of one Helm release do), the dynamic
 * config, and the Web UI server's config.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../launcher.js';

/** The ports of one Temporal service process. */
export interface ServicePorts {
  grpc: number;
  /**
   * Ringpop membership (gossip between the services). At most 32767: Temporal records it in a
   * SMALLINT column (cluster_membership.rpc_port) and a service on a higher one dies at start.
   */
  membership: number;
  /** Prometheus `/metrics`. */
  metrics: number;
}

export interface ClusterPorts {
  postgres: number;
  frontend: ServicePorts & { http: number };
  matching: ServicePorts;
  worker: ServicePorts;
  /** One entry per history instance. */
  history: ServicePorts[];
  ui: number;
}

/**
 * Temporal's usual ports (frontend 7233, history 7234, matching 7235, worker 7239, membership
 * 69xx, PostgreSQL 5432, the dev server's Web UI port 8233, metrics from 8000) plus `offset`, so
 * that a cluster and `npm run stack` (on 7233) can run side by side. History instance i (from 1)
 * is on 7234 + 10·(i−1).
 */
export function portsFromOffset(offset: number, historyInstances: number): ClusterPorts {
  const service = (grpc: number, metricsIndex: number): ServicePorts => ({
    grpc: grpc + offset,
    membership: grpc - 300 + offset,
    metrics: 8000 + metricsIndex + offset,
  });
  const ports: ClusterPorts = {
    postgres: 5432 + offset,
    frontend: { ...service(7233, 0), http: 7243 + offset },
    matching: service(7235, 1),
    worker: service(7239, 2),
    history: Array.from({ length: historyInstances }, (_, i) => service(7234 + 10 * i, 3 + i)),
    ui: 8233 + offset,
  };
  const all = allPorts(ports);
  const bad = all.find((port) => !Number.isInteger(port) || port < 1 || port > 65535);
  if (bad !== undefined) throw new Error(`port offset ${offset} gives port ${bad}, outside 1–65535`);
  const highestMembership = Math.max(...membershipPorts(ports));
  if (highestMembership > maxMembershipPort)
    throw new Error(
      `port offset ${offset} gives membership port ${highestMembership}; Temporal takes at most ${maxMembershipPort} (offset ≤ ${offset - (highestMembership - maxMembershipPort)})`,
    );
  return ports;
}

const maxMembershipPort = 32767;

function membershipPorts(ports: ClusterPorts): number[] {
  return [ports.frontend, ports.matching, ports.worker, ...ports.history].map(
    (service) => service.membership,
  );
}

/**
 * Free ports (for tests: nothing clashes with anything else running): picked by the OS, except
 * membership ports, which must be at most 32767 while the OS hands out 32768 and up: those are
 * tried at random from 20000 to 32767.
 */
export async function freeClusterPorts(historyInstances: number): Promise<ClusterPorts> {
  const service = async (): Promise<ServicePorts> => ({
    grpc: await freePort(),
    membership: await freeLowPort(),
    metrics: await freePort(),
  });
  const ports: ClusterPorts = {
    postgres: await freePort(),
    frontend: { ...(await service()), http: await freePort() },
    matching: await service(),
    worker: await service(),
    history: [],
    ui: await freePort(),
  };
  for (let i = 0; i < historyInstances; i++) ports.history.push(await service());
  if (new Set(allPorts(ports)).size !== allPorts(ports).length) return freeClusterPorts(historyInstances);
  return ports;
}

async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (maxMembershipPort - 20_000 + 1));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port from 20000 to ${maxMembershipPort} after 100 tries`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function allPorts(ports: ClusterPorts): number[] {
  const service = (s: ServicePorts) => [s.grpc, s.membership, s.metrics];
  return [
    ports.postgres,
    ...service(ports.frontend),
    ports.frontend.http,
    ...service(ports.matching),
    ...service(ports.worker),
    ...ports.history.flatMap(service),
    ports.ui,
  ];
}

/** PostgreSQL's connection settings as Temporal and the schema tool use them. */
export interface SqlSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ClusterConfigOptions {
  /** Where the files go (the `--root` of the server; the config is in `config/`). */
  dir: string;
  ports: ClusterPorts;
  sql: SqlSettings;
  /** Fixed when the cluster's database is created: it cannot change afterwards. */
  numHistoryShards: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** More dynamic config, e.g. `{ 'matching.PollerHistoryTTL': '1s' }`; wins over the defaults here. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** The environment name the server is started with (`--env`): it reads `config/<env>.yaml`. */
export const serverConfigEnv = 'cluster';

/**
 * The environment variables that make one server process the instance it is: the history
 * instance's ports, every process's metrics port. The config file reads them.
 */
export function instanceEnv(ports: ServicePorts, history: boolean): Record<string, string> {
  return {
    LONGRUN_METRICS_PORT: String(ports.metrics),
    ...(history
      ? {
          LONGRUN_HISTORY_GRPC_PORT: String(ports.grpc),
          LONGRUN_HISTORY_MEMBERSHIP_PORT: String(ports.membership),
        }
      : {}),
  };
}

/** Write the server config, the dynamic config and the Web UI config; returns their paths. */
export function writeClusterConfig(options: ClusterConfigOptions): {
  serverConfig: string;
  dynamicConfig: string;
  uiConfigDir: string;
} {
  const configDir = join(options.dir, 'config');
  const uiConfigDir = join(options.dir, 'ui-config');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(uiConfigDir, { recursive: true });
  const dynamicConfig = join(configDir, 'dynamicconfig.yaml');
  const serverConfig = join(configDir, `${serverConfigEnv}.yaml`);
  writeFileSync(dynamicConfig, dynamicConfigYaml(options.ports, options.dynamicConfig ?? {}));
  writeFileSync(serverConfig, serverConfigYaml(options, dynamicConfig));
  writeFileSync(join(uiConfigDir, `${serverConfigEnv}.yaml`), uiConfigYaml(options.ports));
  return { serverConfig, dynamicConfig, uiConfigDir };
}

function serverConfigYaml(options: ClusterConfigOptions, dynamicConfigPath: string): string {
  const { ports, sql } = options;
  const history = ports.history[0];
  if (!history) throw new Error('a cluster needs at least one history instance');
  const datastore = (database: string, maxConns: number) => `      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${sql.host}:${sql.port}"
        connectProtocol: tcp
        user: ${JSON.stringify(sql.user)}
        password: ${JSON.stringify(sql.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const rpc = (service: ServicePorts, extra = '') => `    rpc:
      grpcPort: ${service.grpc}
      membershipPort: ${service.membership}
      bindOnLocalHost: true${extra}`;
  return `# enable-template
# Written by longrun (scripts/cluster/config.ts) at every start; edits are lost. Derived from the
# Temporal server's config/development-postgres12.yaml (v1.29.1): archival removed, this cluster's
# ports, pprof off. Every service process reads this one file; the server renders it as a Go
# template (the "enable-template" comment above), and what differs between processes comes from
# their environment: LONGRUN_METRICS_PORT, and for each history instance LONGRUN_HISTORY_GRPC_PORT
# and LONGRUN_HISTORY_MEMBERSHIP_PORT.
log:
  stdout: true
  level: ${options.logLevel}
  format: console

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed when the database is first set up: the server refuses another number afterwards.
  numHistoryShards: ${options.numHistoryShards}
  datastores:
    postgres-default:
${datastore('temporal', 20)}
    postgres-visibility:
${datastore('temporal_visibility', 10)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: 0
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: '127.0.0.1:{{ env "LONGRUN_METRICS_PORT" | default "${ports.frontend.metrics}" }}'

services:
  frontend:
${rpc(ports.frontend, `\n      httpPort: ${ports.frontend.http}`)}
  matching:
${rpc(ports.matching)}
  history:
    rpc:
      grpcPort: {{ env "LONGRUN_HISTORY_GRPC_PORT" | default "${history.grpc}" }}
      membershipPort: {{ env "LONGRUN_HISTORY_MEMBERSHIP_PORT" | default "${history.membership}" }}
      bindOnLocalHost: true
  worker:
${rpc(ports.worker)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend.grpc}"

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: ${JSON.stringify(dynamicConfigPath)}
  pollInterval: 10s
`;
}

/**
 * The server module's config/dynamicconfig/development-sql.yaml, with Nexus callbacks pointed at
 * this frontend's HTTP port, and the visibility rate the dev server also raises (longrun's lists,
 * waits and event streams read visibility; the default is 10 per second per frontend instance),
 * and task-queue fairness, as the dev server has it (each tenant's fairness key gets its share).
 */
function dynamicConfigYaml(ports: ClusterPorts, extra: Record<string, string | number | boolean>): string {
  const http = `127.0.0.1:${ports.frontend.http}`;
  const defaults = `# Written by longrun (scripts/cluster/config.ts) at every start; edits are lost.
limit.maxIDLength:
  - value: 255
frontend.namespaceRPS.visibility:
  - value: 100
frontend.workerVersioningDataAPIs:
  - value: true
frontend.workerVersioningWorkflowAPIs:
  - value: true
frontend.workerVersioningRuleAPIs:
  - value: true
system.enableDeploymentVersions:
  - value: true
system.enableDeployments:
  - value: true
frontend.enableExecuteMultiOperation:
  - value: true
system.enableNexus:
  - value: true
component.nexusoperations.callback.endpoint.template:
  - value: http://${http}/namespaces/{{.NamespaceName}}/nexus/callback
component.callbacks.allowedAddresses:
  - value:
      - Pattern: "${http}"
        AllowInsecure: true
history.hostLevelCacheMaxSize:
  - value: 8192
history.enableTransitionHistory:
  - value: true
matching.enableFairness:
  - value: true
# Describe reads each workflow's start event; 512 KiB a shard caches a few hundred open processes' worth.
history.eventsCacheMaxSizeBytes:
  - value: 16777216
`;
  // A key given twice: the YAML parser would keep the last, but say so plainly by dropping ours.
  const kept = defaults.split(/\n(?=\S)/).filter((entry) => !(entry.split(':')[0]! in extra));
  const added = Object.entries(extra).map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}`);
  return `${[...kept.map((entry) => entry.trimEnd()), ...added].join('\n').trimEnd()}\n`;
}

function uiConfigYaml(ports: ClusterPorts): string {
  return `# Written by longrun (scripts/cluster/config.ts) at every start; edits are lost.
temporalGrpcAddress: "127.0.0.1:${ports.frontend.grpc}"
host: 127.0.0.1
port: ${ports.ui}
enableUi: true
defaultNamespace: default
refreshInterval: 1m
notifyOnNewVersion: false
cors:
  cookieInsecure: true
  allowOrigins: []
forwardHeaders:
  - X-Forwarded-For
`;
}
