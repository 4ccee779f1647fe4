/**
 * The last line of defence against orphaned servers: a tiny bash process in its own session (so a
 * terminal's Ctrl-C does not reach it) that reads the process groups we register from a pipe. When
 * we die for any reason — even `kill -9`, which no signal handler sees — the kernel closes the
 * pipe, and it stops every group still registered: SIGTERM, then SIGKILL after 5 s
 * (scripts/reaper.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./reaper.sh', import.meta.url));

let reaper: ChildProcess | undefined;

function reaperStdin(): Socket | undefined {
  if (!reaper) {
    reaper = spawn('bash', [script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.on('error', () => {}); // no bash: the signal and exit handlers still clean up
    const stdin = reaper.stdin as Socket | null;
    stdin?.on('error', () => {});
    // Neither the reaper nor its pipe may keep this process alive.
    reaper.unref();
    stdin?.unref();
  }
  return (reaper.stdin as Socket | null) ?? undefined;
}

/** Have the process group led by `pid` stopped if this process dies before calling {@link release}. */
export function guard(pid: number): void {
  reaperStdin()?.write(`+${pid}\n`);
}

/** The group has ended (or was stopped by us): forget it. */
export function release(pid: number): void {
  reaper?.stdin?.write(`-${pid}\n`);
}
