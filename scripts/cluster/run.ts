/** Small process helpers shared by the cluster's parts, all on the launcher (killed if we die). */
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { launch, type ManagedProcess } from '../launcher.js';

/** A command that runs to its end (a schema step, initdb, psql): resolves with its output, rejects on a non-zero exit. */
export async function runToEnd(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<string> {
  const managed = launch(name, command, args, env);
  const timer = setTimeout(() => void managed.kill9(), timeoutMs);
  await managed.exited;
  clearTimeout(timer);
  const { exitCode, signalCode } = managed.child;
  if (exitCode !== 0)
    throw new Error(
      `${name} (${[command, ...args].join(' ')}) ended with ${signalCode ?? `exit code ${exitCode}`}:\n${managed.output()}`,
    );
  return managed.output();
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Append a process's output to `file` (its folder must exist). */
export function logToFile(managed: ManagedProcess, file: string): void {
  const out = createWriteStream(file, { flags: 'a' });
  out.write(`--- ${new Date().toISOString()} ${managed.name} started (pid ${managed.pid})\n`);
  managed.child.stdout?.pipe(out, { end: false });
  managed.child.stderr?.pipe(out, { end: false });
  managed.child.once('exit', (code, signal) => {
    out.end(`--- ${new Date().toISOString()} ${managed.name} exited (${signal ?? `code ${code}`})\n`);
  });
}

/** Send `signal` and wait for the exit; SIGKILL after `graceMs`. */
export async function stopWith(
  managed: ManagedProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (!managed.alive()) return;
  managed.child.kill(signal);
  const force = setTimeout(() => void managed.kill9(), graceMs);
  await managed.exited;
  clearTimeout(force);
}
