/**
 * The whole local stack in one command (`npm run stack`): the Temporal dev server (persistent
 * SQLite file in .data/, Web UI on :8233, our search attributes registered), the worker and the
 * API, each from its real entry point with your environment (so `MAX_CONCURRENT_RUNNERS=…` and the
 * like apply), and the Nexus endpoint `longrun` with a `callers` namespace to call the kinds from.
 * Ctrl-C stops them in order; starting again keeps earlier processes. Ports:
 * TEMPORAL_DEV_PORT (7233), TEMPORAL_UI_PORT (8233), PORT (3000). An API key of tenant `dev` with
 * every scope is made once into .data/dev-api-key (see ./dev-api-key.ts).
 */
import { mkdirSync } from 'node:fs';
import { defaultKeysFile } from '../src/auth/keys-file.js';
import { devApiKeyFile, devTenant, ensureDevApiKey } from './dev-api-key.js';
import {
  onInterrupt,
  temporalCli,
  startApi,
  startDevServer,
  startWorker,
  stopAll,
  type ManagedProcess,
} from './launcher.js';
import { callerNamespace, ensureNexusEndpoint } from './nexus-endpoint.js';

const temporalPort = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const apiPort = Number(process.env.PORT ?? 3000);

let stopping = false;

/** API and worker first (the worker finishes in-flight tasks), then the server. */
async function stop(code: number): Promise<never> {
  stopping = true;
  await stopAll(15_000);
  console.log('[stack] stopped');
  process.exit(code);
}

/** One part exiting on its own takes the stack down: a half-running stack only confuses. */
function stopWhenExits(part: ManagedProcess): void {
  void part.exited.then(() => {
    if (stopping) return;
    const { exitCode, signalCode } = part.child;
    console.error(`[stack] ${part.name} exited (${signalCode ?? exitCode}); stopping the rest`);
    void stop(1);
  });
}

async function main(): Promise<void> {
  // Ctrl-C reaches only us (children have their own process groups): stop in order.
  onInterrupt(() => stop(0));
  mkdirSync('.data', { recursive: true });
  const keysFile = process.env.API_KEYS_FILE?.trim() || defaultKeysFile;
  const devKey = await ensureDevApiKey(keysFile);
  const server = await startDevServer({
    port: temporalPort,
    uiPort,
    dbFilename: '.data/temporal.db',
    namespaces: [callerNamespace],
    echo: true,
  });
  stopWhenExits(server);
  console.log(`[stack] Temporal dev server on ${server.address}, Web UI on http://localhost:${uiPort}`);

  // Your environment first, so that any setting of src/config.ts applies; ours decide where things are.
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_UI_URL: `http://localhost:${uiPort}`,
    HOST: process.env.HOST ?? '0.0.0.0',
    API_KEYS_FILE: keysFile,
    // The children write to a pipe (echoed here): readable lines when this runs on a terminal.
    LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  };
  const taskQueue = process.env.TASK_QUEUE ?? 'longrun';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  // The kinds as Nexus operations, for workflows in the callers' namespace (or any other).
  const endpoint = await ensureNexusEndpoint({
    cli: temporalCli(),
    address: server.address,
    namespace,
    taskQueue,
  });
  console.log(`[stack] ${endpoint}; call it from namespace ${callerNamespace}`);
  const worker = await startWorker({ address: server.address, taskQueue, env, echo: true });
  stopWhenExits(worker);
  const api = await startApi({ address: server.address, taskQueue, port: apiPort, env, echo: true });
  stopWhenExits(api);
  console.log(`[stack] up: API on http://localhost:${apiPort}, Ctrl-C stops everything`);
  console.log(
    `[stack] ${devKey.created ? 'made' : 'using'} an API key of tenant ${devTenant} (every scope) in ${devApiKeyFile}; use it with:\n` +
      `          AUTH="Authorization: Bearer $(cat ${devApiKeyFile})"\n` +
      `          curl -H "$AUTH" localhost:${apiPort}/processes\n` +
      `        more keys: npm run --silent api-key -- create --tenant <name> (keys file ${keysFile})`,
  );
}

main().catch((err: unknown) => {
  console.error('[stack]', err instanceof Error ? err.message : err);
  void stop(1);
});
