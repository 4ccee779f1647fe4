/**
 * The one process launcher of longrun, used by `npm run stack`, the end-to-end and reliability
 * tests and the benchmarks: a Temporal dev server started from the CLI (optionally on a persistent
 * SQLite file, so that it can be restarted), workers and APIs started from their real entry points
 * (`node --import tsx src/worker.ts`, `src/api/server.ts`, configured by environment variables as a
 * user would), which can be `kill -9`ed and restarted.
 *
 * Nothing outlives its launcher: every child is killed when this process exits or gets SIGINT,
 * SIGTERM or SIGHUP, and a reaper (scripts/reaper.ts) stops them even if this process is killed
 * with `kill -9`. Children run in their own process groups, so a terminal's Ctrl-C reaches only
 * the launcher, which decides the order of the shutdown (see {@link onInterrupt}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { devServerArgs, temporalCliPath } from './dev-server.js';
import { guard, release } from './reaper.js';

export { eventually, pool, type EventuallyOptions } from './pool.js';
export {
  cpuSeconds,
  machineCpuSeconds,
  ownCpuSecondsWithReapedChildren,
  processTree,
  rssKiB,
} from './proc-stats.js';
import { freeLoopbackPort } from '../src/shared/free-port.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Live children, in launch order. */
const live = new Set<ChildProcess>();
let cleanupInstalled = false;
let interruptHandler: ((signal: NodeJS.Signals) => Promise<void> | void) | undefined;
/** When the first interrupting signal came, once one has. */
let interruptedAt: number | undefined;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal); // the child and anything it started
  } catch {
    child.kill(signal); // the group is gone already; the leader may still be a zombie
  }
}

function killAll(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
}

const signalExitCodes = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/** Kill every child on exit and on the usual signals (then exit as the signal would have). */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', killAll);
  for (const [signal, code] of signalExitCodes) {
    process.on(signal, () => {
      const handler = interruptHandler;
      // Under `npm run`, one Ctrl-C arrives twice, milliseconds apart (from the terminal, and
      // forwarded by npm): a repeat within a second is that echo, not a second Ctrl-C.
      if (interruptedAt !== undefined && Date.now() - interruptedAt < 1000) return;
      if (interruptedAt !== undefined || !handler) {
        killAll();
        process.exit(code);
      }
      interruptedAt = Date.now(); // a second signal (a second later) kills at once
      void (async () => {
        try {
          await handler(signal);
        } catch (err) {
          console.error(err);
        } finally {
          killAll();
          process.exit(code);
        }
      })();
    });
  }
}

/**
 * What SIGINT, SIGTERM and SIGHUP do instead of killing every child at once: e.g. stop them in
 * order with {@link stopAll}. The process exits when the handler is done; a second signal kills
 * every child at once.
 */
export function onInterrupt(handler: (signal: NodeJS.Signals) => Promise<void> | void): void {
  installCleanup();
  interruptHandler = handler;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<void>;
  alive(): boolean;
  /** The last 64 KiB the process printed, for diagnostics. */
  output(): string;
  /** `kill -9`: no graceful shutdown, in-flight work is simply lost. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  /** Also copy the child's output to ours, each line prefixed with `[name]` (for `npm run stack`). */
  echo?: boolean;
}

const outputLimit = 64 * 1024;

/** Spawn a child whose output is kept (bounded) and which is killed if we die. */
export function launch(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  options: LaunchOptions = {},
): ManagedProcess {
  installCleanup();
  const child = spawn(command, args, {
    cwd: repoRoot,
    // A small, explicit environment: nothing from the caller's shell (TEMPORAL_*, NODE_OPTIONS) leaks in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: see the module comment
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  live.add(child);
  guard(pid);
  let output = '';
  let partialLine = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString();
    output += text;
    if (output.length > 2 * outputLimit) output = output.slice(-outputLimit);
    if (options.echo) {
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      release(pid);
      if (options.echo && partialLine) process.stdout.write(`[${name}] ${partialLine}\n`);
      resolve();
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid,
    child,
    exited,
    alive,
    output: () => output.slice(-outputLimit),
    async kill9() {
      if (alive()) killGroup(child, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Stop every live child, the last started first (SIGTERM, then SIGKILL after `graceMs` each). */
export async function stopAll(graceMs = 15_000): Promise<void> {
  for (const child of [...live].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(force);
  }
}

/** Wait until `ready()` holds; fail early, with the process's output, if it exits first. */
export async function waitForProcess(
  managed: ManagedProcess,
  ready: () => boolean | Promise<boolean>,
  { timeoutMs, what }: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!managed.alive()) throw new Error(`${managed.name} exited before ${what}:\n${managed.output()}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      await managed.kill9();
      throw new Error(`${managed.name}: no ${what} after ${timeoutMs} ms:\n${managed.output()}`);
    }
    await sleep(200);
  }
}

/** A free loopback TCP port (the OS picks; a tiny race with other programs remains). */
export const freePort = freeLoopbackPort;

let cliPath: string | undefined;
/** The Temporal CLI, looked up once. */
export function temporalCli(): string {
  cliPath ??= temporalCliPath();
  return cliPath;
}

export interface DevServer extends ManagedProcess {
  address: string;
  port: number;
  dbFilename: string | undefined;
  /** The Web UI's port, when it serves one. */
  uiPort: number | undefined;
  /** The server's own Prometheus metrics (persistence operations, task queues…). */
  metricsUrl: string;
}

export interface DevServerOptions extends LaunchOptions {
  /** Reuse a port (to restart a server where its clients expect it); default a free one. */
  port?: number;
  /** Persist to this SQLite file (survives restarts); default in memory. */
  dbFilename?: string;
  /** Serve the Temporal Web UI on this port; default headless. */
  uiPort?: number;
  /** Server dynamic config overrides, e.g. `{ 'matching.PollerHistoryTTL': '1s' }`. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Leave these of longrun's search attributes unregistered (readiness tests). */
  withoutSearchAttributes?: string[];
  /** Namespaces besides `default` (e.g. the Nexus callers' namespace). */
  namespaces?: readonly string[];
}

/**
 * Start something listening on `port`, or on a free port of our choosing: then, when that port was
 * taken meanwhile (the machine is shared; another program may bind it between our look and the
 * child's bind), try again on another, up to three times.
 */
async function onPort<T>(
  port: number | undefined,
  start: (port: number) => Promise<T>,
  taken: (err: unknown) => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port ?? (await freePort()));
    } catch (err) {
      if (port !== undefined || attempt >= 3 || !taken(err)) throw err;
    }
  }
}

const portTaken = (err: unknown): boolean =>
  err instanceof Error && /address already in use|EADDRINUSE/.test(err.message);

/** `temporal server start-dev` with longrun's search attributes; resolves once it answers. */
export function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const { dbFilename, uiPort, dynamicConfig, namespaces, withoutSearchAttributes } = options;
  return onPort(
    options.port,
    async (port) => {
      const address = `127.0.0.1:${port}`;
      const metricsPort = await freePort();
      const managed = launch(
        'temporal',
        temporalCli(),
        devServerArgs({
          port,
          uiPort,
          dbFilename,
          dynamicConfig,
          metricsPort,
          namespaces,
          withoutSearchAttributes,
        }),
        {},
        options,
      );
      await waitForProcess(managed, () => temporalAnswers(address), {
        timeoutMs: 60_000,
        what: 'Temporal frontend',
      });
      return {
        ...managed,
        address,
        port,
        dbFilename,
        uiPort,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      };
    },
    portTaken,
  );
}

/** Whether a Temporal frontend answers at `address` (one system-info call). */
export async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

export interface NodeServiceOptions extends LaunchOptions {
  address: string;
  taskQueue: string;
  /** Extra environment (settings from src/config.ts); it wins over the defaults set here. */
  env?: Record<string, string | undefined>;
  /**
   * `source` (default): the TypeScript entry point through tsx; `compiled`: the build's in dist/
   * (`npm run build` first), as `NODE_ENV=production npm run api|worker` runs them.
   */
  entry?: 'source' | 'compiled';
}

/** The command line of an entry point: `node --import tsx src/….ts`, or `node dist/….js`. */
function nodeEntry(source: string, entry: NodeServiceOptions['entry']): string[] {
  return entry === 'compiled'
    ? [source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')]
    : ['--import', 'tsx', source];
}

/** The SDK logs its state changes (as JSON or readable lines); RUNNING means the pollers are up. */
export const workerRunning = /state["']?:\s*["']RUNNING["']/;

/** What a worker or API needs to find its Temporal, then the caller's settings. */
const serviceEnv = (options: NodeServiceOptions): Record<string, string | undefined> => ({
  TEMPORAL_ADDRESS: options.address,
  TEMPORAL_NAMESPACE: 'default',
  TASK_QUEUE: options.taskQueue,
  ...options.env,
});

/** `node --import tsx src/worker.ts`; resolves once the worker polls (bundling takes a few seconds). */
export async function startWorker(options: NodeServiceOptions): Promise<ManagedProcess> {
  const managed = launch(
    'worker',
    process.execPath,
    nodeEntry('src/worker.ts', options.entry),
    serviceEnv(options),
    options,
  );
  await waitForProcess(managed, () => workerRunning.test(managed.output()), {
    timeoutMs: 120_000,
    what: 'polling',
  });
  return managed;
}

export interface ApiProcess extends ManagedProcess {
  url: string;
  port: number;
}

/** `node --import tsx src/api/server.ts` on 127.0.0.1 (unless `env.HOST` says otherwise); resolves once it listens. */
export function startApi(options: NodeServiceOptions & { port?: number }): Promise<ApiProcess> {
  return onPort(
    options.port,
    async (port) => {
      const managed = launch(
        'api',
        process.execPath,
        nodeEntry('src/api/server.ts', options.entry),
        serviceEnv({ ...options, env: { PORT: String(port), HOST: '127.0.0.1', ...options.env } }),
        options,
      );
      await waitForProcess(managed, () => managed.output().includes('longrun API listening'), {
        timeoutMs: 60_000,
        what: 'listening',
      });
      return { ...managed, url: `http://127.0.0.1:${port}`, port };
    },
    portTaken,
  );
}

/** A client of our own (separate from the children's), for setup and independent checks. */
export async function connectClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: 'default' });
}
