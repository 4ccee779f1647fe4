/**
 * The whole local stack in one command (`npm run stack`): the Temporal dev server (persistent
 * SQLite file in .data/, Web UI on :8233, our search attributes registered), the worker and the
 * API. Ctrl-C stops all three; starting again keeps earlier processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { temporalCliPath, devServerArgs } from './dev-server.js';

const temporalPort = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const address = `127.0.0.1:${temporalPort}`;

const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  children.push({ name, child });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[stack] ${name} exited (${signal ?? code}); stopping the rest`);
    void stop(1);
  });
  return child;
}

async function waitForTemporal(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal dev server did not come up on ${address}`, { cause: err });
      await sleep(300);
    }
  }
}

/** Stop in reverse order: API and worker first (the worker finishes in-flight tasks), then the server. */
async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const killed = sleep(15_000).then(() => child.kill('SIGKILL'));
    await Promise.race([exited, killed]);
  }
  console.log('[stack] stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  // Ctrl-C reaches every child of the terminal's process group too; we still order the shutdown.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const cli = temporalCliPath();
  mkdirSync('.data', { recursive: true });
  start('temporal', cli, devServerArgs({ port: temporalPort, uiPort, dbFilename: '.data/temporal.db' }));
  await waitForTemporal(60_000);
  console.log(`[stack] Temporal dev server on ${address}, Web UI on http://localhost:${uiPort}`);

  const env = { TEMPORAL_ADDRESS: address, TEMPORAL_UI_URL: `http://localhost:${uiPort}` };
  start('worker', process.execPath, ['--import', 'tsx', 'src/worker.ts'], env);
  start('api', process.execPath, ['--import', 'tsx', 'src/api/server.ts'], env);
}

main().catch((err: unknown) => {
  console.error('[stack]', err instanceof Error ? err.message : err);
  void stop(1);
});
