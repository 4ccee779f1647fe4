/**
 * End-to-end test stack: a real Temporal dev server (from the CLI that scripts/temporal-cli.sh
 * provides), workers as real child processes (so tests can `kill -9` them), and the real HTTP
 * API listening on an ephemeral port. Everything is torn down by `stop()`, and child processes
 * are killed even if the test process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { createTemporalGateway } from '../../src/gateway/temporal-gateway.js';
import { LocalArtifactStore } from '../../src/artifacts/local-store.js';
import { longrunSearchAttributes } from '../../src/shared/search-attributes.js';
import { parseCallbackPolicy } from '../../src/webhooks/callback-policy.js';
import { temporalCliPath } from '../../scripts/dev-server.js';

const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker printed, for diagnostics. */
  output: () => string;
  /** `kill -9`: no graceful shutdown, in-flight activities are simply lost. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** Start processes on another task queue (e.g. one no worker polls, to keep them queued). */
  taskQueue?: string;
  terminalCacheSize?: number;
  maxBodyBytes?: number;
  /** Upload limit of `POST /artifacts` (default 1 GiB). */
  maxArtifactBytes?: number;
  eventsKeepAliveMs?: number;
}

export interface E2EStack {
  env: TestWorkflowEnvironment;
  client: Client;
  address: string;
  taskQueue: string;
  /** The artifact store's folder, shared by the API and every worker; removed by `stop()`. */
  artifactsDir: string;
  /** The workers' MASTER_KEYS (one random key, `e2e:…`). */
  masterKeys: string;
  /** The `whsec_` secret workers sign webhooks with (receivers verify with it). */
  webhookSecret: string;
  /** The API started by default (unless `api: false`). */
  api: ApiServer;
  startWorker(extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  startApi(options?: ApiOptions): Promise<ApiServer>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Start one worker right away (default true). */
  worker?: boolean;
  /** Also serve the Temporal Web UI on this port. */
  uiPort?: number;
}

export async function startStack(options: StackOptions = {}): Promise<E2EStack> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: longrunSearchAttributes,
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      log: { format: 'pretty', level: 'warn' },
    },
  });
  const taskQueue = `e2e-${randomUUID()}`;
  const artifactsDir = await mkdtemp(join(tmpdir(), 'longrun-artifacts-'));
  const masterKeys = `e2e:${randomBytes(32).toString('base64')}`;
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const workers: WorkerProcess[] = [];
  const apis: ApiServer[] = [];

  const stack: E2EStack = {
    env,
    client: env.client,
    address: env.address,
    taskQueue,
    artifactsDir,
    masterKeys,
    webhookSecret,
    api: undefined as unknown as ApiServer,

    async startWorker(extraEnv = {}) {
      const worker = await spawnWorker(env.address, extraEnv.TASK_QUEUE ?? taskQueue, {
        WEBHOOK_SECRETS: webhookSecret,
        ARTIFACTS_DIR: artifactsDir,
        MASTER_KEYS: masterKeys,
        ...extraEnv,
      });
      workers.push(worker);
      return worker;
    },

    async startApi(apiOptions = {}) {
      const uiBaseUrl = `http://localhost:${options.uiPort ?? 8233}`;
      const api = await serveApi(
        env.client,
        apiOptions.taskQueue ?? taskQueue,
        uiBaseUrl,
        apiOptions,
        artifactsDir,
      );
      apis.push(api);
      return api;
    },

    async stop() {
      await Promise.allSettled([...workers.map((w) => w.stop()), ...apis.map((a) => a.close())]);
      await env.teardown();
      await rm(artifactsDir, { recursive: true, force: true });
    },
  };
  try {
    stack.api = await stack.startApi();
    if (options.worker !== false) await stack.startWorker();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

async function serveApi(
  client: Client,
  taskQueue: string,
  uiBaseUrl: string,
  options: ApiOptions,
  artifactsDir: string,
): Promise<ApiServer> {
  const gateway = createTemporalGateway({
    client,
    taskQueue,
    uiBaseUrl,
    terminalCacheSize: options.terminalCacheSize ?? 1000,
    watchIntervalMs: 200,
  });
  const app = createApp({
    gateway,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    retryAfterSeconds: 1,
    maxWaitSeconds: 60,
    artifacts: {
      store: await LocalArtifactStore.open(artifactsDir),
      maxBytes: options.maxArtifactBytes ?? 1024 ** 3,
    },
    // Loopback receivers are allowed (only link-local and metadata addresses are denied by default).
    callbacks: { enabled: true, policy: parseCallbackPolicy('', '') },
    eventsKeepAliveMs: options.eventsKeepAliveMs ?? 15_000,
    logError: (err) => console.error('[api]', err),
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

async function spawnWorker(
  address: string,
  taskQueue: string,
  extraEnv: Record<string, string>,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: taskQueue,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => liveChildren.delete(child));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("state: 'RUNNING'")) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`worker exited before it was ready:\n${output}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(force);
      }
    },
  };
}
