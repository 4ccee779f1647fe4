/**
 * The one process launcher of longrun: real OS processes, for the reliability suite and the benchmarks:
 * a Temporal dev server started from the CLI (optionally on a persistent SQLite file, so that it
 * can be restarted), workers and APIs as `node --import tsx` children that can be `kill -9`ed and
 * restarted, and CPU and memory readings from /proc. Every child is killed when this process
 * exits or is interrupted, so a failed run never leaves servers behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { devServerArgs, temporalCliPath } from './dev-server.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Kill every child on exit and on the usual signals (then exit as the signal would have). */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', killAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
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

const outputLimit = 64 * 1024;

/** Spawn a child whose output is kept (bounded) and which is killed if we die. */
export function launch(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): ManagedProcess {
  installCleanup();
  const child = spawn(command, args, {
    cwd: repoRoot,
    // A small, explicit environment: nothing from the caller's shell (TEMPORAL_*, NODE_OPTIONS) leaks in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  live.add(child);
  let output = '';
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > 2 * outputLimit) output = output.slice(-outputLimit);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid,
    child,
    exited,
    alive,
    output: () => output.slice(-outputLimit),
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Wait until `ready()` holds; fail early (with the child's output) if the child exits first. */
async function waitUntil(
  managed: ManagedProcess,
  ready: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
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
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

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
}

export interface DevServerOptions {
  /** Reuse a port (to restart a server where its clients expect it); default a free one. */
  port?: number;
  /** Persist to this SQLite file (survives restarts); default in memory. */
  dbFilename?: string;
}

/** `temporal server start-dev`, headless, with longrun's search attributes; resolves once it answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const managed = launch(
    'temporal',
    temporalCli(),
    devServerArgs({ port, dbFilename: options.dbFilename }),
    {},
  );
  await waitUntil(managed, () => temporalAnswers(address), 60_000, 'Temporal frontend');
  return { ...managed, address, port, dbFilename: options.dbFilename };
}

async function temporalAnswers(address: string): Promise<boolean> {
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

export interface NodeServiceOptions {
  address: string;
  taskQueue: string;
  /** Extra environment (e.g. settings from src/config.ts). */
  env?: Record<string, string>;
}

/** `node --import tsx src/worker.ts`; resolves once the worker polls (bundling takes a few seconds). */
export async function startWorker(options: NodeServiceOptions): Promise<ManagedProcess> {
  const managed = launch('worker', process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: options.taskQueue,
    ...options.env,
  });
  // The SDK logs its state changes; RUNNING means the pollers are up.
  await waitUntil(managed, () => managed.output().includes("state: 'RUNNING'"), 120_000, 'polling');
  return managed;
}

export interface ApiProcess extends ManagedProcess {
  url: string;
  port: number;
}

/** `node --import tsx src/api/server.ts` on 127.0.0.1; resolves once it listens. */
export async function startApi(options: NodeServiceOptions & { port?: number }): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  const managed = launch('api', process.execPath, ['--import', 'tsx', 'src/api/server.ts'], {
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: options.taskQueue,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...options.env,
  });
  await waitUntil(managed, () => managed.output().includes('longrun API listening'), 60_000, 'listening');
  return { ...managed, url: `http://127.0.0.1:${port}`, port };
}

/** A client of our own (separate from the children's), for setup and independent checks. */
export async function connectClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: 'default' });
}

/** Run `fn(0..count-1)` with at most `concurrency` calls in flight; results in index order. */
export async function pool<T>(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await fn(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Poll `read()` until `done(value)`; fails with the last value when the time is up. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 500, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: gave up after ${timeoutMs} ms; last ${String(value)}`);
    await sleep(intervalMs);
  }
}

const clockTicks = 100; // USER_HZ: 100 on every Linux port that Node supports

/** A process and all its descendants, from /proc (the worker and the dev server fork nothing today). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = parents.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    parents.set(stat.ppid, siblings);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    tree.push(current);
    queue.push(...(parents.get(current) ?? []));
  }
  return tree;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** User + system CPU seconds used so far by these processes and their descendants. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) for (const member of processTree(pid)) ticks += readStat(member)?.cpuTicks ?? 0;
  return ticks / clockTicks;
}

/**
 * CPU seconds used so far by this process and every child it has reaped (their times land in our
 * cutime/cstime when they exit): what a whole run cost, once every child has stopped.
 */
export function ownCpuSecondsWithReapedChildren(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14 to 17.
  return fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / clockTicks;
}

/**
 * CPU seconds the whole machine has spent busy (all cores; idle and iowait excluded) and stolen by
 * the hypervisor (other virtual machines), from /proc/stat.
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: (user + nice + system + irq + softirq) / clockTicks, steal: steal / clockTicks };
}

/** Resident set size (VmRSS) of a process, in KiB. */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
