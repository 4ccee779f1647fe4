/**
 * A PostgreSQL server of our own for the Temporal cluster: Debian's package (installed when
 * missing and we are root), its data folder initialised once, its own port on 127.0.0.1 only (no
 * Unix socket, so it never meets a system PostgreSQL), run as a non-root user as PostgreSQL demands.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, waitForProcess, type ManagedProcess } from '../launcher.js';
import { runToEnd, stopWith } from './run.js';
import type { SqlSettings } from './config.js';

/** The major version Debian 12 ships and we test on; another installed one is used if it is alone. */
const preferredMajor = '15';
const debianPackage = `postgresql-${preferredMajor}`;

/** The folder of `postgres`, `initdb`, `psql`: $POSTGRES_BIN_DIR, else Debian's, installed if missing. */
export function postgresBinDir(log: (line: string) => void = console.log): string {
  const given = process.env.POSTGRES_BIN_DIR;
  if (given) {
    if (!existsSync(join(given, 'postgres'))) throw new Error(`POSTGRES_BIN_DIR=${given} has no postgres`);
    return given;
  }
  const found = debianBinDir();
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error(
      `PostgreSQL not found in /usr/lib/postgresql: install ${debianPackage} (or your system's PostgreSQL ≥ 12) and set POSTGRES_BIN_DIR to its bin folder`,
    );
  log(`PostgreSQL not found: apt-get install -y ${debianPackage}`);
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (!apt(['install', '-y', '--no-install-recommends', debianPackage])) {
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', debianPackage]);
  }
  const installed = debianBinDir();
  if (!installed)
    throw new Error(`apt-get install ${debianPackage} did not give /usr/lib/postgresql/*/bin/postgres`);
  return installed;
}

function debianBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((major) => existsSync(join(root, major, 'bin', 'postgres')));
  const major = majors.includes(preferredMajor)
    ? preferredMajor
    : majors.sort((a, b) => Number(b) - Number(a))[0];
  return major === undefined ? undefined : join(root, major, 'bin');
}

/** The operating-system account PostgreSQL runs as (it refuses root). */
export interface OsAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * When we are root: the `postgres` account (Debian's package makes it), else a `longrun` system
 * account, made if missing; `$POSTGRES_OS_USER` picks another. Otherwise undefined: we run it as
 * ourselves.
 */
export function postgresAccount(): OsAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const wanted = process.env.POSTGRES_OS_USER;
  const candidates = wanted ? [wanted] : ['postgres', 'longrun'];
  for (const name of candidates) {
    const account = lookUpAccount(name);
    if (account) return account;
  }
  const name = wanted ?? 'longrun';
  execFileSync('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    name,
  ]);
  const made = lookUpAccount(name);
  if (!made) throw new Error(`useradd ${name} made no account`);
  return made;
}

function lookUpAccount(name: string): OsAccount | undefined {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** `command args` as `account` (setpriv execs in place, so the pid stays the one we kill). */
function asAccount(account: OsAccount | undefined, command: string, args: string[]): [string, string[]] {
  if (!account) return [command, args];
  return [
    'setpriv',
    ['--reuid', String(account.uid), '--regid', String(account.gid), '--init-groups', '--', command, ...args],
  ];
}

export interface PostgresOptions {
  binDir: string;
  account: OsAccount | undefined;
  /** The data folder (PGDATA); made and initialised if it holds no cluster yet. */
  dataDir: string;
  port: number;
  /** The superuser initdb makes, and the password it gets (Temporal connects as it). */
  user: string;
  password: string;
}

export function sqlSettings(options: PostgresOptions): SqlSettings {
  return { host: '127.0.0.1', port: options.port, user: options.user, password: options.password };
}

/**
 * `initdb` once: into a folder beside the data folder, renamed into place when it succeeded, so an
 * interrupted first start never leaves a half-made cluster. Returns whether it ran.
 */
export async function initPostgres(options: PostgresOptions): Promise<boolean> {
  const dataDir = resolve(options.dataDir);
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): move it away`);
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  makeTraversable(parent, options.account);
  const staging = mkdtempSync(`${dataDir}.initdb-`);
  const secrets = mkdtempSync(join(tmpdir(), 'longrun-pg-'));
  const passwordFile = join(secrets, 'password');
  try {
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (options.account) {
      for (const path of [staging, secrets, passwordFile])
        chownSync(path, options.account.uid, options.account.gid);
    }
    chmodSync(staging, 0o700);
    const [command, args] = asAccount(options.account, join(options.binDir, 'initdb'), [
      '--pgdata',
      staging,
      '--username',
      options.user,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
    ]);
    await runToEnd('initdb', command, args);
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true }); // the empty folder we checked above
    renameSync(staging, dataDir);
    return true;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
  }
}

/**
 * PostgreSQL needs to reach its data folder: every folder above it must let its account through
 * (search permission). Folders we own get `o+x` (no listing); others we only check.
 */
function makeTraversable(folder: string, account: OsAccount | undefined): void {
  if (!account) return;
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    const stat = statSync(dir);
    const passes =
      stat.uid === account.uid || (stat.gid === account.gid && stat.mode & 0o010) || stat.mode & 0o001;
    if (!passes) {
      if (stat.uid !== process.getuid?.())
        throw new Error(`PostgreSQL (as ${account.name}) cannot reach its data folder through ${dir}`);
      chmodSync(dir, (stat.mode & 0o7777) | 0o001);
    }
    if (dirname(dir) === dir) return;
  }
}

/** Start the server on 127.0.0.1:`port`; resolves once it accepts connections. */
export async function startPostgres(
  options: PostgresOptions,
  {
    name = 'postgres',
    echo = false,
    onLaunch,
  }: { name?: string; echo?: boolean; onLaunch?: (managed: ManagedProcess) => void } = {},
): Promise<ManagedProcess> {
  const [command, args] = asAccount(options.account, join(options.binDir, 'postgres'), [
    '-D',
    resolve(options.dataDir),
    '-p',
    String(options.port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    // Five Temporal services with up to 30 connections each, and the schema tool.
    '-c',
    'max_connections=300',
  ]);
  // After a kill -9 the old server's backends may still be ending (the launcher kills its process
  // group, but they take a moment); PostgreSQL then refuses to start ("pre-existing shared memory
  // block is still in use"): try again for a little while.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const managed = launch(name, command, args, {}, { echo });
    onLaunch?.(managed);
    try {
      await waitForProcess(managed, () => accepting(options), {
        timeoutMs: 60_000,
        what: 'accepting connections',
      });
      return managed;
    } catch (err) {
      const stale = /pre-existing shared memory block|lock file .* already exists/.test(managed.output());
      if (!stale || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** pg_isready: exit 0 once the server accepts connections (not while it starts or recovers). */
function accepting(options: PostgresOptions): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      join(options.binDir, 'pg_isready'),
      ['-q', '-h', '127.0.0.1', '-p', String(options.port), '-d', 'postgres', '-U', options.user],
      { timeout: 5000 },
      (err) => resolve(err === null),
    );
  });
}

/** A clean ("fast") shutdown: open sessions are ended, everything is flushed, no recovery at the next start. */
export function stopPostgres(managed: ManagedProcess): Promise<void> {
  return stopWith(managed, 'SIGINT', 60_000);
}

/** One SQL statement through psql; its rows, tab-separated, one a line. */
export function psql(options: PostgresOptions, database: string, sql: string): Promise<string> {
  return runToEnd(
    'psql',
    join(options.binDir, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(options.port),
      '-U',
      options.user,
      '-d',
      database,
      '-X',
      '-q',
      '-t',
      '-A',
      '-c',
      sql,
    ],
    { PGPASSWORD: options.password, PGCONNECT_TIMEOUT: '10' },
    30_000,
  );
}
