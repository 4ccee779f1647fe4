/**
 * `npm run stack:cluster`: longrun on a production-shaped Temporal, all on this machine —
 * PostgreSQL, the schema, Temporal's frontend, matching and worker services and two history
 * instances as separate processes, the Web UI, the `default` and `callers` namespaces with
 * longrun's search attributes, the Nexus endpoint `longrun` (callers → longrun's task queue), then
 * two longrun workers and two API instances. Ctrl-C stops
 * everything in order (APIs, workers, Temporal, PostgreSQL); starting again keeps the data.
 *
 * Settings (environment):
 *   CLUSTER_PORT_OFFSET  added to Temporal's usual ports (default 10000: frontend 17233, Web UI 18233, PostgreSQL 15432;
 *                        at most 25823, as membership ports must stay below 32768)
 *   CLUSTER_API_PORT     the first API's port (default 3000; the next ones follow)
 *   CLUSTER_APIS / CLUSTER_WORKERS   how many of each (default 2)
 *   CLUSTER_DATA_DIR     PostgreSQL's data and the generated config (default .data/cluster)
 *   CLUSTER_LOG_LEVEL    the Temporal services' log level (default warn)
 * Other variables (WEBHOOK_SECRETS, MAX_CONCURRENT_RUNNERS, …) reach the APIs and workers.
 */
import { resolve } from 'node:path';
import {
  launch,
  onInterrupt,
  repoRoot,
  temporalCli,
  waitForProcess,
  workerRunning,
  type ManagedProcess,
} from './launcher.js';
import { ensureNexusEndpoint } from './nexus-endpoint.js';
import { portsFromOffset } from './cluster/config.js';
import { stopWith } from './cluster/run.js';
import { startTemporalCluster, type TemporalCluster } from './cluster/temporal-cluster.js';
import { defaultKeysFile } from '../src/auth/keys-file.js';
import { longrunSearchAttributes } from '../src/shared/search-attributes.js';
import { devApiKeyFile, devTenant, ensureDevApiKey } from './dev-api-key.js';

const say = (line: string) => console.log(`[stack:cluster] ${line}`);

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`[stack:cluster] ${name}=${raw}: expected an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const settings = {
  portOffset: intSetting('CLUSTER_PORT_OFFSET', 10_000, 0, 25_823),
  apiPort: intSetting('CLUSTER_API_PORT', 3000, 1, 65_000),
  apis: intSetting('CLUSTER_APIS', 2, 1, 8),
  workers: intSetting('CLUSTER_WORKERS', 2, 1, 8),
  dataDir: resolve(repoRoot, process.env.CLUSTER_DATA_DIR ?? '.data/cluster'),
  logLevel: (process.env.CLUSTER_LOG_LEVEL ?? 'warn') as 'debug' | 'info' | 'warn' | 'error',
};

let cluster: TemporalCluster | undefined;
const workers: ManagedProcess[] = [];
const apis: ManagedProcess[] = [];
let stopping = false;

/** What the APIs and workers get of our environment: longrun's settings, never a Temporal connection of the caller's shell. */
function passedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(TEMPORAL_|CLUSTER_|npm_|NODE_OPTIONS$|PORT$|HOST$)/.test(name),
    ),
  );
}

/** APIs and workers first (workers finish in-flight tasks), then the cluster, PostgreSQL last. */
async function shutDown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping: APIs, workers, then Temporal, then PostgreSQL');
  const began = Date.now();
  await Promise.all(apis.map((api) => stopWith(api, 'SIGTERM', 10_000)));
  await Promise.all(workers.map((worker) => stopWith(worker, 'SIGTERM', 20_000)));
  await cluster?.stop();
  say(`stopped in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

// Ctrl-C reaches only us (the launcher gives every child its own process group): stop in order.
// A second Ctrl-C kills everything at once.
onInterrupt(shutDown);

/** A part that ends while the stack runs is reported; the rest keeps running, as in a real deployment. */
function watch(managed: ManagedProcess, label: string): void {
  void managed.exited.then(() => {
    if (!stopping)
      say(
        `${label} exited (${managed.child.signalCode ?? `code ${managed.child.exitCode}`}); the rest keeps running`,
      );
  });
}

async function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: string | RegExp,
): Promise<ManagedProcess> {
  const managed = launch(
    name,
    process.execPath,
    ['--import', 'tsx', entry],
    // The children write to a pipe (echoed here): readable lines when this runs on a terminal.
    { LOG_FORMAT: process.stdout.isTTY ? 'pretty' : 'json', ...passedEnv(), ...env },
    { echo: true },
  );
  const isReady =
    typeof ready === 'string' ? (text: string) => text.includes(ready) : (text: string) => ready.test(text);
  await waitForProcess(managed, () => isReady(managed.output()), {
    timeoutMs: 120_000,
    what: String(ready),
  });
  watch(managed, name);
  return managed;
}

async function main(): Promise<void> {
  const began = Date.now();
  const ports = portsFromOffset(settings.portOffset, 2);
  cluster = await startTemporalCluster({
    dataDir: settings.dataDir,
    ports,
    numHistoryShards: 4,
    namespaces: ['default', 'callers'],
    logLevel: settings.logLevel,
    // The Temporal services and PostgreSQL log to files; the terminal shows longrun's processes.
    logDir: resolve(settings.dataDir, 'logs'),
    log: say,
  });
  for (const part of cluster.parts) watch(cluster.process(part), part);
  // The kinds as Nexus operations: the endpoint targets the workers' namespace and task queue.
  const taskQueue = process.env.TASK_QUEUE ?? 'longrun';
  const endpoint = await ensureNexusEndpoint({
    cli: temporalCli(),
    address: cluster.frontendAddress,
    namespace: 'default',
    taskQueue,
  });
  const temporalReady = Date.now();

  // The same dev key as npm run stack's (tenant dev, every scope), made once into .data/dev-api-key.
  const keysFile = resolve(repoRoot, process.env.API_KEYS_FILE?.trim() || defaultKeysFile);
  const devKey = await ensureDevApiKey(keysFile, resolve(repoRoot, devApiKeyFile));
  const env = {
    API_KEYS_FILE: keysFile,
    TEMPORAL_ADDRESS: cluster.frontendAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: cluster.uiUrl ?? '',
  };
  const started = await Promise.all([
    ...Array.from({ length: settings.workers }, (_, i) =>
      startNode(`longrun-worker-${i + 1}`, 'src/worker.ts', env, workerRunning),
    ),
    ...Array.from({ length: settings.apis }, (_, i) =>
      startNode(
        `longrun-api-${i + 1}`,
        'src/api/server.ts',
        { ...env, PORT: String(settings.apiPort + i), HOST: '0.0.0.0' },
        'longrun API listening',
      ),
    ),
  ]);
  workers.push(...started.slice(0, settings.workers));
  apis.push(...started.slice(settings.workers));

  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const setup = cluster.setup;
  const madeNow = [
    setup.initdb ? 'initdb' : undefined,
    ...setup.schema.filter((step) => step.did !== 'nothing').map((step) => `${step.database} ${step.did}`),
    ...setup.namespaces.filter((ns) => ns.created).map((ns) => `namespace ${ns.namespace}`),
  ].filter(Boolean);
  const p = cluster.ports;
  const pid = (name: Parameters<TemporalCluster['process']>[0]) => cluster!.process(name).pid;
  const lines = [
    `ready in ${seconds(Date.now() - began)} (Temporal ${seconds(temporalReady - began)}); set up now: ${madeNow.join(', ') || 'nothing (all kept from the last run)'}`,
    `PostgreSQL      127.0.0.1:${p.postgres}  user temporal, password temporal, databases temporal and temporal_visibility (schema ${setup.schema.map((s) => s.version).join(' / ')}); data ${cluster.dataDir}/postgres  [pid ${pid('postgres')}]`,
    `frontend        ${cluster.frontendAddress} (gRPC), ${cluster.frontendHttpAddress} (HTTP)  [pid ${pid('frontend')}]`,
    ...p.history.map(
      (h, i) => `history-${i + 1}       127.0.0.1:${h.grpc}  [pid ${pid(`history-${i + 1}`)}]`,
    ),
    `matching        127.0.0.1:${p.matching.grpc}  [pid ${pid('matching')}]`,
    `worker service  membership 127.0.0.1:${p.worker.membership} (it serves no gRPC)  [pid ${pid('worker')}]`,
    `                ${cluster.numHistoryShards} history shards; config ${cluster.dataDir}/config/cluster.yaml; metrics on 127.0.0.1:${p.frontend.metrics}…${p.history.at(-1)?.metrics}/metrics`,
    `Web UI          ${cluster.uiUrl}  [pid ${pid('ui')}]`,
    `logs            ${cluster.dataDir}/logs/<part>.log (PostgreSQL, each Temporal service, the Web UI)`,
    `namespaces      ${cluster.namespaces.join(', ')} (search attributes ${longrunSearchAttributes.map((key) => key.name).join(', ')}: Keyword; task-queue fairness on)`,
    `Nexus           ${endpoint}`,
    ...workers.map((w) => `${w.name.padEnd(18)}task queue ${taskQueue}  [pid ${w.pid}]`),
    ...apis.map((a, i) => `${a.name.padEnd(18)}http://localhost:${settings.apiPort + i}  [pid ${a.pid}]`),
    `API key         tenant ${devTenant}, every scope, ${devKey.created ? 'made now' : 'kept'} in ${devApiKeyFile}: curl -H "Authorization: Bearer $(cat ${devApiKeyFile})" …; keys file ${keysFile}`,
    'Ctrl-C stops everything; the data stays for the next start.',
  ];
  for (const line of lines) say(line);
}

main().catch((err: unknown) => {
  console.error('[stack:cluster]', err instanceof Error ? err.message : err);
  void shutDown().finally(() => process.exit(1));
});
