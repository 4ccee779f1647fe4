/**
 * Temporal's two databases, `temporal` and `temporal_visibility`, made and brought to the server's
 * schema with its own tool (temporal-sql-tool) and the schema files of the server module
 * (schema/postgresql/v12), as upstream documents: create-database, setup-schema -v 0.0, then
 * update-schema to the newest version. Each step runs only when needed, so a restart changes nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runToEnd } from './run.js';
import { psql, type PostgresOptions } from './postgres.js';

export interface SchemaStep {
  database: string;
  did: 'created' | 'set up' | 'updated' | 'nothing';
  version: string;
}

export const temporalDatabases = [
  { database: 'temporal', schemaDir: 'temporal' },
  { database: 'temporal_visibility', schemaDir: 'visibility' },
] as const;

/** Bring both databases to the newest schema the server module has; what it did, per database. */
export async function ensureSchema(
  sqlTool: string,
  serverModule: string,
  postgres: PostgresOptions,
  log: (line: string) => void,
): Promise<SchemaStep[]> {
  const steps: SchemaStep[] = [];
  for (const { database, schemaDir } of temporalDatabases) {
    const versioned = join(serverModule, 'schema', 'postgresql', 'v12', schemaDir, 'versioned');
    const latest = newestVersion(versioned);
    const tool = (...args: string[]) =>
      runToEnd(
        'temporal-sql-tool',
        sqlTool,
        [
          '--plugin',
          'postgres12',
          '--endpoint',
          '127.0.0.1',
          '--port',
          String(postgres.port),
          '--user',
          postgres.user,
          '--password',
          postgres.password,
          '--database',
          database,
          ...args,
        ],
        {},
        300_000,
      );
    let did: SchemaStep['did'] = 'nothing';
    const exists = (
      await psql(postgres, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${database}'`)
    ).trim();
    if (exists !== '1') {
      log(`schema: ${database}: create-database`);
      await tool('create-database');
      did = 'created';
    }
    let version = await schemaVersion(postgres, database);
    if (version === undefined) {
      log(`schema: ${database}: setup-schema -v 0.0`);
      await tool('setup-schema', '-v', '0.0');
      version = '0.0';
      if (did === 'nothing') did = 'set up';
    }
    if (compareVersions(version, latest) < 0) {
      log(`schema: ${database}: update-schema -d ${versioned} (${version} → ${latest})`);
      await tool('update-schema', '-d', versioned);
      version = (await schemaVersion(postgres, database)) ?? '?';
      if (did === 'nothing') did = 'updated';
    }
    steps.push({ database, did, version });
  }
  return steps;
}

/** The version the schema tool recorded, or undefined before setup-schema. */
async function schemaVersion(postgres: PostgresOptions, database: string): Promise<string | undefined> {
  const table = (
    await psql(postgres, database, `SELECT to_regclass('public.schema_version') IS NOT NULL`)
  ).trim();
  if (table !== 't') return undefined;
  const version = (
    await psql(
      postgres,
      database,
      `SELECT curr_version FROM schema_version WHERE version_partition = 0 AND db_name = '${database}'`,
    )
  ).trim();
  return version === '' ? undefined : version;
}

/** The newest `vX.Y` folder of a versioned schema directory. */
function newestVersion(versionedDir: string): string {
  const versions = readdirSync(versionedDir)
    .filter((name) => /^v\d+\.\d+$/.test(name))
    .map((name) => name.slice(1))
    .sort(compareVersions);
  const newest = versions.at(-1);
  if (!newest) throw new Error(`no vX.Y schema folders in ${versionedDir}`);
  return newest;
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
