/** How longrun runs a Temporal dev server: shared by the local stack, the tests and the benchmarks. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SearchAttributeType } from '@temporalio/common';
import { longrunSearchAttributes } from '../src/shared/search-attributes.js';

/** The Temporal CLI to use, found or built by scripts/temporal-cli.sh (never downloaded). */
export function temporalCliPath(): string {
  const script = fileURLToPath(new URL('./temporal-cli.sh', import.meta.url));
  return execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
}

export interface DevServerOptions {
  port: number;
  uiPort?: number;
  dbFilename?: string;
  /** Server dynamic config overrides (`--dynamic-config-value KEY=VALUE`, values JSON-encoded). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Leave these of longrun's search attributes out (to test readiness against a namespace lacking one). */
  withoutSearchAttributes?: string[];
  /** Namespaces besides `default`, made at start-up unless they exist (`--namespace`). */
  namespaces?: readonly string[];
  /** Serve the server's Prometheus metrics on this port (the CLI picks a random one otherwise). */
  metricsPort?: number;
  /** SQLite pragmas of a file-backed server; {@link durableSqlitePragmas} when not given. */
  sqlitePragmas?: Record<string, string>;
}

/**
 * How a file-backed dev server writes. SQLite's default rollback journal syncs several times per
 * commit: on this machine it sustained a few dozen commits a second, so the heartbeats of a few
 * hundred running processes left no room for starts (2,000 starts took minutes to get 600
 * runners going). In WAL mode with `synchronous=NORMAL` a commit is an append, synced at
 * checkpoints: every committed write survives a crash or `kill -9` of the server; only a power
 * loss or an OS crash may lose the last commits (https://sqlite.org/wal.html). Set
 * `TEMPORAL_SQLITE_SYNCHRONOUS=FULL` to sync every commit too.
 */
export const durableSqlitePragmas: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: process.env.TEMPORAL_SQLITE_SYNCHRONOUS ?? 'normal',
};

const cliTypeName: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * What longrun needs of the server beyond its defaults:
 * - task-queue fairness (server 1.29), so that each tenant's fairness key (set at start) gets its
 *   share of the runners and one tenant's backlog never starves another's (a cluster turns it on in
 *   its dynamic config file; see the README);
 * - the search-attribute cache back on. `start-dev` turns it off so that attributes created later
 *   show at once; then every call that maps one (each start, describe and list) reads the cluster
 *   metadata and the namespace from SQLite under one lock: 4 and 2 store reads per `GET` with
 *   2,000 processes open. longrun's attributes are all created at start (`--search-attribute`);
 *   one created afterwards shows within the server's 60-s refresh, as on a cluster;
 * - a start-event cache that holds the open processes: describe reads each workflow's start event
 *   (its summary and details), and the dev server's one shard caches 512 KiB of events, about a
 *   few hundred processes' worth; beyond that every `GET` read its history from the file.
 */
export const longrunDynamicConfig: Record<string, string | number | boolean> = {
  'matching.enableFairness': true,
  'system.forceSearchAttributesCacheRefreshOnRead': false,
  'history.eventsCacheMaxSizeBytes': 64 * 1024 * 1024,
};

/** `temporal server start-dev` arguments with longrun's search attributes, dynamic config and extra namespaces. */
export function devServerArgs({
  port,
  uiPort,
  dbFilename,
  dynamicConfig = {},
  withoutSearchAttributes = [],
  namespaces = [],
  metricsPort,
  sqlitePragmas = durableSqlitePragmas,
}: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(metricsPort === undefined ? [] : ['--metrics-port', String(metricsPort)]),
    ...(dbFilename
      ? [
          '--db-filename',
          dbFilename,
          ...Object.entries(sqlitePragmas).flatMap(([name, value]) => [
            '--sqlite-pragma',
            `${name}=${value}`,
          ]),
        ]
      : []),
    ...namespaces.flatMap((namespace) => ['--namespace', namespace]),
    ...longrunSearchAttributes
      .filter((key) => !withoutSearchAttributes.includes(key.name))
      .flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeName[key.type]}`]),
    ...Object.entries({ ...longrunDynamicConfig, ...dynamicConfig }).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
    '--log-level',
    'warn',
  ];
}
