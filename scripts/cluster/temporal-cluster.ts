/**
 * A production-shaped Temporal on this machine, as real processes on the launcher: PostgreSQL,
 * the schema, the frontend, matching and worker services and several history instances (each its
 * own `temporal-server start --service …` process, from one config file), the Web UI server, and
 * namespaces with longrun's search attributes. For `npm run stack:cluster` and for tests that
 * `kill -9` one part and start it again. Every process is killed if this process exits.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { launch, temporalAnswers, waitForProcess, type ManagedProcess } from '../launcher.js';
import { temporalBinaries, type TemporalBinaries } from './binaries.js';
import {
  freeClusterPorts,
  instanceEnv,
  serverConfigEnv,
  writeClusterConfig,
  type ClusterPorts,
  type ServicePorts,
} from './config.js';
import { ensureNamespaces, type NamespaceSetup } from './namespaces.js';
import {
  initPostgres,
  postgresAccount,
  postgresBinDir,
  sqlSettings,
  startPostgres,
  stopPostgres,
  type PostgresOptions,
} from './postgres.js';
import { listening, logToFile, stopWith } from './run.js';
import { ensureSchema, type SchemaStep } from './schema.js';

export type TemporalServiceName = 'frontend' | 'matching' | 'worker' | `history-${number}`;
/** Every process of the cluster, by the name its handle and its output lines carry. */
export type ClusterPartName = 'postgres' | TemporalServiceName | 'ui';

export interface TemporalClusterOptions {
  /**
   * Where PostgreSQL keeps its data (`postgres/`) and the generated configuration lives; kept
   * across runs, so a second start finds its processes. Default: a new temporary folder, removed by `stop()`.
   */
  dataDir?: string;
  /** Default: free ports picked by the OS. */
  ports?: ClusterPorts;
  /** Default 2 (so that shards move when one dies). With `ports`, their `history` length wins. */
  historyInstances?: number;
  /** Default 4. Fixed when the data folder is first set up. */
  numHistoryShards?: number;
  /** Start the Web UI server. Default true. */
  ui?: boolean;
  /** Made if missing, each with longrun's search attributes. Default `['default']`. */
  namespaces?: readonly string[];
  /** How long namespaces made now keep closed workflows. Default '3 days' (the CLI's default). */
  retention?: Duration;
  /**
   * Dynamic config beyond the defaults (config/dynamicconfig.yaml), e.g.
   * `{ 'matching.PollerHistoryTTL': '1s' }`. The services read the file every 10 s.
   */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** The Temporal services' log level. Default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Copy every process's output to ours, lines prefixed with `[part]`. Default false. */
  echo?: boolean;
  /** Also append each part's output to `<logDir>/<part>.log`. Default: none (the handles keep the last 64 KiB). */
  logDir?: string;
  /** Progress messages (what is being set up). Default: none. */
  log?: (line: string) => void;
}

export interface TemporalCluster {
  /** `host:port` of the frontend's gRPC API: TEMPORAL_ADDRESS for API, workers and clients. */
  readonly frontendAddress: string;
  /** `host:port` of the frontend's HTTP API (Nexus callbacks, the HTTP API). */
  readonly frontendHttpAddress: string;
  /** The Web UI, when started. */
  readonly uiUrl: string | undefined;
  readonly ports: ClusterPorts;
  readonly dataDir: string;
  readonly numHistoryShards: number;
  readonly namespaces: readonly string[];
  /** Every part, in start order. */
  readonly parts: readonly ClusterPartName[];
  /** What this start had to do: initdb, schema steps, namespaces made. */
  readonly setup: { initdb: boolean; schema: SchemaStep[]; namespaces: NamespaceSetup[] };
  /** The process now running as `name` (a new handle after each start). */
  process(name: ClusterPartName): ManagedProcess;
  /** `kill -9` of one part; `start(name)` brings it back on the same ports. */
  kill9(name: ClusterPartName): Promise<void>;
  /** Stop one part cleanly (SIGTERM; PostgreSQL: a fast shutdown). */
  stopPart(name: ClusterPartName): Promise<void>;
  /** Start a part that is not running; resolves once it serves. */
  start(name: ClusterPartName): Promise<ManagedProcess>;
  /** Stop everything, in order: Web UI, worker service, frontend, matching, history, PostgreSQL. Removes a temporary data folder. */
  stop(): Promise<void>;
}

const serviceStopGraceMs = 20_000;

/** Bring a whole cluster up (building the server first if it was never built); resolves once a workflow could start. */
export async function startTemporalCluster(options: TemporalClusterOptions = {}): Promise<TemporalCluster> {
  const log = options.log ?? (() => {});
  const temporary = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'longrun-cluster-')));
  const ports = options.ports ?? (await freeClusterPorts(options.historyInstances ?? 2));
  const numHistoryShards = recordedShards(dataDir, options.numHistoryShards ?? 4);
  const namespaces = options.namespaces ?? ['default'];
  const historyNames = ports.history.map((_, i): TemporalServiceName => `history-${i + 1}`);
  const parts: ClusterPartName[] = [
    'postgres',
    ...historyNames,
    'matching',
    'frontend',
    'worker',
    ...(options.ui === false ? [] : (['ui'] as const)),
  ];
  const frontendAddress = `127.0.0.1:${ports.frontend.grpc}`;
  const running = new Map<ClusterPartName, ManagedProcess>();
  const removeTemporary = (): void => {
    try {
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      console.error(`could not remove ${dataDir}:`, err);
    }
  };

  const binaries: TemporalBinaries = temporalBinaries();
  const postgres: PostgresOptions = {
    binDir: postgresBinDir(log),
    account: postgresAccount(),
    dataDir: join(dataDir, 'postgres'),
    port: ports.postgres,
    user: 'temporal',
    password: 'temporal',
  };

  const servicePorts = (name: TemporalServiceName): ServicePorts => {
    if (name === 'frontend' || name === 'matching' || name === 'worker') return ports[name];
    const instance = ports.history[Number(name.slice('history-'.length)) - 1];
    if (!instance) throw new Error(`no ${name} in this cluster`);
    return instance;
  };

  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  const launchOptions = { echo: options.echo ?? false };
  const keepOutput = (managed: ManagedProcess): void => {
    if (options.logDir) logToFile(managed, join(options.logDir, `${managed.name}.log`));
  };

  const startPart = async (name: ClusterPartName): Promise<ManagedProcess> => {
    const current = running.get(name);
    if (current?.alive()) throw new Error(`${name} is running (pid ${current.pid})`);
    let managed: ManagedProcess;
    if (name === 'postgres') {
      managed = await startPostgres(postgres, { name, ...launchOptions, onLaunch: keepOutput });
    } else if (name === 'ui') {
      managed = launch(
        name,
        binaries.uiServer,
        ['--root', dataDir, '--config', 'ui-config', '--env', serverConfigEnv, 'start'],
        {},
        launchOptions,
      );
      keepOutput(managed);
      await waitForProcess(managed, () => listening(ports.ui), { timeoutMs: 60_000, what: 'listening' });
    } else {
      const service = name.startsWith('history-') ? 'history' : name;
      const args = ['--root', dataDir, '--config', 'config', '--env', serverConfigEnv, '--allow-no-auth'];
      managed = launch(
        name,
        binaries.server,
        [...args, 'start', '--service', service],
        instanceEnv(servicePorts(name), service === 'history'),
        launchOptions,
      );
      keepOutput(managed);
      await waitForProcess(
        managed,
        () =>
          name === 'frontend'
            ? temporalAnswers(frontendAddress)
            : // The worker service serves no gRPC: it is up once it listens for membership.
              listening(name === 'worker' ? ports.worker.membership : servicePorts(name).grpc),
        { timeoutMs: 120_000, what: 'serving' },
      );
    }
    running.set(name, managed);
    return managed;
  };

  const stopPart = async (name: ClusterPartName): Promise<void> => {
    const managed = running.get(name);
    if (!managed) return;
    await (name === 'postgres' ? stopPostgres(managed) : stopWith(managed, 'SIGTERM', serviceStopGraceMs));
  };

  const stop = async (): Promise<void> => {
    // Clients before servers: the worker service uses the frontend, the frontend matching and
    // history, and all of them PostgreSQL.
    const tiers: ClusterPartName[][] = [
      ['ui'],
      ['worker'],
      ['frontend'],
      ['matching'],
      historyNames,
      ['postgres'],
    ];
    for (const tier of tiers) await Promise.all(tier.map(stopPart));
    if (temporary) {
      removeTemporary();
      process.removeListener('exit', removeTemporary);
    }
  };

  try {
    log(
      `PostgreSQL ${postgres.binDir} as ${postgres.account?.name ?? 'this user'}, data in ${postgres.dataDir}`,
    );
    const initdb = await initPostgres(postgres);
    if (initdb) log('PostgreSQL: initdb done');
    await startPart('postgres');
    // A temporary folder goes with us even when we are interrupted. Installed after the first
    // launch, so the launcher's exit hook (which kills every process) runs before this one.
    if (temporary) process.once('exit', removeTemporary);
    const schema = await ensureSchema(binaries.sqlTool, binaries.serverModule, postgres, log);
    writeClusterConfig({
      dir: dataDir,
      ports,
      sql: sqlSettings(postgres),
      numHistoryShards,
      logLevel: options.logLevel ?? 'warn',
      dynamicConfig: options.dynamicConfig,
    });
    // The first service to start writes the cluster's metadata and system namespace into a fresh
    // database; several at once race for it, and the losers exit ("failed to initialize current
    // cluster metadata"). So the frontend goes first, alone; the others then find each other
    // through the membership table and start together.
    log('Temporal: starting frontend');
    await startPart('frontend');
    const services = parts.filter((part) => part !== 'postgres' && part !== 'ui' && part !== 'frontend');
    log(`Temporal: starting ${services.join(', ')}`);
    await Promise.all(services.map(startPart));
    const namespaceSetup = await ensureNamespaces(
      frontendAddress,
      namespaces,
      options.retention ?? '3 days',
      log,
    );
    await waitServing(frontendAddress, namespaces[0] ?? 'default');
    if (parts.includes('ui')) await startPart('ui');
    return {
      frontendAddress,
      frontendHttpAddress: `127.0.0.1:${ports.frontend.http}`,
      uiUrl: parts.includes('ui') ? `http://localhost:${ports.ui}` : undefined,
      ports,
      dataDir,
      numHistoryShards,
      namespaces,
      parts,
      setup: { initdb, schema, namespaces: namespaceSetup },
      process(name) {
        const managed = running.get(name);
        if (!managed) throw new Error(`no ${name} in this cluster`);
        return managed;
      },
      kill9: (name) => running.get(name)?.kill9() ?? Promise.resolve(),
      stopPart,
      start: startPart,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/**
 * The shard count is fixed when the cluster's database is set up: remember it beside the data,
 * and refuse another one with a clear message (the server's own is obscure).
 */
function recordedShards(dataDir: string, wanted: number): number {
  const file = join(dataDir, 'cluster.json');
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(file)) {
    const recorded = (JSON.parse(readFileSync(file, 'utf8')) as { numHistoryShards: number })
      .numHistoryShards;
    if (recorded !== wanted)
      throw new Error(
        `${dataDir} was set up with ${recorded} history shards, not ${wanted}: the number cannot change; use another data folder`,
      );
    return recorded;
  }
  if (!existsSync(join(dataDir, 'postgres', 'PG_VERSION'))) {
    writeFileSync(file, `${JSON.stringify({ numHistoryShards: wanted })}\n`);
    return wanted;
  }
  throw new Error(
    `${dataDir} has a database but no cluster.json: its shard count is unknown; use another data folder`,
  );
}

/**
 * Until history (which owns workflows, by shard) and matching (task queues) answer through the
 * frontend: a describe of a workflow that does not exist gets NOT_FOUND from history once its
 * shard has an owner, and a task queue's description comes from matching.
 */
async function waitServing(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      try {
        await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: 'longrun-probe' },
        });
        try {
          await connection.workflowService.describeWorkflowExecution({
            namespace,
            execution: { workflowId: `longrun-probe-${Date.now()}` },
          });
        } catch (err) {
          if (!(err instanceof Error && 'code' in err && err.code === 5 && !/namespace/i.test(err.message)))
            throw err;
        }
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error('history and matching did not serve within 120 s', { cause: err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
