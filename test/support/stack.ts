/**
 * The test stack of the end-to-end and reliability suites, on the one launcher (scripts/launcher.ts):
 * a real Temporal (a dev server, or a cluster: ./temporal-under-test.ts), workers and APIs as real child processes started from their real
 * entry points and configured by environment variables, as a user would (so tests can `kill -9`
 * them, restart them, and exercise src/config.ts and src/api/server.ts too). `stop()` tears it all
 * down; the launcher kills whatever is left if the test process is interrupted or dies.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Client } from '@temporalio/client';
import { addApiKey, type NewKeyOptions } from '../../src/auth/key-admin.js';
import { updateKeysFile } from '../../src/auth/keys-file.js';
import { rotateWebhookSecret } from '../../src/auth/webhook-secrets.js';
import {
  connectClient,
  repoRoot,
  startApi,
  startWorker,
  temporalCli,
  type ApiProcess,
  type ManagedProcess,
} from '../../scripts/launcher.js';
import { useApiKey } from './api-client.js';
import { callerNamespace, ensureNexusEndpoint, nexusEndpointName } from '../../scripts/nexus-endpoint.js';
import { startTemporal, type TemporalUnderTest } from './temporal-under-test.js';

/** Settings of one API process (each becomes the environment variable of src/config.ts named after it). */
export interface ApiOptions {
  /** TASK_QUEUE: start processes on another task queue (e.g. one no worker polls, to keep them queued). */
  taskQueue?: string;
  /** TERMINAL_CACHE_SIZE (default here 1000). */
  terminalCacheSize?: number;
  /** MAX_BODY_BYTES (default 1 MiB). */
  maxBodyBytes?: number;
  /** MAX_ARTIFACT_BYTES: upload limit of `POST /artifacts` (default 1 GiB). */
  maxArtifactBytes?: number;
  /** EVENTS_KEEPALIVE_MS (default 15 s, at least 1 s). */
  eventsKeepAliveMs?: number;
  /** Listen on this port (default a free one). */
  port?: number;
  /** Any other setting. */
  env?: Record<string, string>;
}

export interface TestStack {
  /** The Temporal it runs on: a dev server, or a cluster with `LONGRUN_TEST_TEMPORAL=cluster`. */
  temporal: TemporalUnderTest;
  /** Temporal's frontend, `127.0.0.1:port`. */
  address: string;
  /** A client of the test's own, for setup and for independent checks (visibility, histories). */
  client: Client;
  taskQueue: string;
  /** The artifact store's folder, shared by the APIs and every worker; removed by `stop()`. */
  artifactsDir: string;
  /** The workers' MASTER_KEYS (one random key, `e2e:…`). */
  masterKeys: string;
  /** The `whsec_` secret workers sign the default tenant's webhooks with (receivers verify with it). */
  webhookSecret: string;
  /** The keys file of every API and worker (API_KEYS_FILE). */
  keysFile: string;
  /** The default tenant: it has {@link apiKey} and {@link webhookSecret}. */
  tenant: string;
  /** A key of the default tenant with every scope; the test API client sends it by default. */
  apiKey: string;
  /** ACCESS_TOKEN_SECRETS of every API. */
  accessTokenSecrets: string;
  /** Add a key to the keys file (as `api-key create` does); resolves to its secret. */
  createKey(options: NewKeyOptions): Promise<string>;
  /** Run the real `api-key` tool on the stack's keys file. */
  apiKeyTool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The Web UI's base URL, for `links.ui`. */
  uiBaseUrl: string;
  /** The Nexus endpoint to the kinds (target: namespace `default`, the stack's task queue), as `npm run stack` makes it. */
  nexusEndpoint: string;
  /** A namespace of its own to call {@link nexusEndpoint} from. */
  callerNamespace: string;
  /** The API started with the stack (replaced by {@link restartApi}). */
  api: ApiProcess;
  /** The workers started so far that have not been stopped through the stack. */
  workers: ManagedProcess[];
  /** Start a worker on the stack's task queue (or `env.TASK_QUEUE`). */
  startWorker(env?: Record<string, string>): Promise<ManagedProcess>;
  /** Start another API process. */
  startApi(options?: ApiOptions): Promise<ApiProcess>;
  /** Stop every worker the stack started (SIGTERM, as a deploy would). */
  stopWorkers(): Promise<void>;
  /** Stop the stack's API (`kill -9` or SIGTERM) and start a new one on the same port. */
  restartApi(how: 'kill9' | 'sigterm'): Promise<ApiProcess>;
  /** Stop Temporal and start it again on the same ports and data (the dev server's file, or the cluster's database). */
  restartServer(how: 'kill9' | 'sigterm'): Promise<void>;
  /** Processes on the stack's task queue, as visibility counts them. */
  count(where?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Workers to start right away, one after the other (default 1). */
  workers?: number;
  /** Keep the dev server's state in a SQLite file, so that it survives a restart. */
  persistent?: boolean;
  /** Also serve the Temporal Web UI on this port. */
  uiPort?: number;
  /** Dev server dynamic config, e.g. {@link promptPollerHistory}. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Settings of the stack's API. */
  api?: ApiOptions;
}

/**
 * Dynamic config that makes "no worker polls this task queue" provable within about a second:
 * one partition per task queue (so that describing it sees every poller), pollers forgotten 1 s
 * after their last poll began or ended, and long polls of 500 ms (so that a live worker is always
 * within that second).
 */
export const promptPollerHistory = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'matching.PollerHistoryTTL': '1s',
  'matching.longPollExpirationInterval': '500ms',
};

/**
 * A stack for the tests of this file: started before them and handed to `onStarted`, stopped
 * after them, also when one fails.
 */
export function useStack(options: StackOptions, onStarted: (stack: TestStack) => void | Promise<void>): void {
  let stack: TestStack | undefined;
  before(async () => {
    stack = await startStack(options);
    await onStarted(stack);
  });
  after(async () => {
    await stack?.stop();
  });
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), 'longrun-test-'));
  const artifactsDir = join(dir, 'artifacts');
  const masterKeys = `e2e:${randomBytes(32).toString('base64')}`;
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const keysFile = join(dir, 'api-keys.json');
  const tenant = 'e2e';
  const accessTokenSecrets = randomBytes(32).toString('base64url');
  // The default tenant: every scope, no limits, and the webhook secret receivers verify with.
  const apiKey = await updateKeysFile(keysFile, (file) => {
    rotateWebhookSecret(file, tenant, { secret: webhookSecret });
    return addApiKey(file, { tenant }).secret;
  });
  useApiKey(apiKey);
  const taskQueue = `test-${randomUUID()}`;
  const uiBaseUrl = `http://localhost:${options.uiPort ?? 8233}`;
  const apis = new Set<ApiProcess>();

  const apiEnv = (api: ApiOptions): Record<string, string | undefined> => ({
    TASK_QUEUE: api.taskQueue ?? taskQueue,
    TEMPORAL_UI_URL: uiBaseUrl,
    TERMINAL_CACHE_SIZE: String(api.terminalCacheSize ?? 1000),
    MAX_BODY_BYTES: String(api.maxBodyBytes ?? 1024 * 1024),
    MAX_ARTIFACT_BYTES: String(api.maxArtifactBytes ?? 1024 ** 3),
    EVENTS_KEEPALIVE_MS: String(api.eventsKeepAliveMs ?? 15_000),
    EVENTS_POLL_INTERVAL_MS: '200',
    ARTIFACTS_DIR: artifactsDir,
    // Callbacks on (loopback receivers are allowed: only link-local and metadata addresses are denied).
    WEBHOOK_SECRETS: webhookSecret,
    API_KEYS_FILE: keysFile,
    ACCESS_TOKEN_SECRETS: accessTokenSecrets,
    ...api.env,
  });
  const launchApi = async (api: ApiOptions): Promise<ApiProcess> => {
    const started = await startApi({
      address: temporal.address,
      taskQueue: api.taskQueue ?? taskQueue,
      ...(api.port !== undefined && { port: api.port }),
      env: apiEnv(api),
    });
    apis.add(started);
    void started.exited.then(() => apis.delete(started));
    return started;
  };

  const temporal = await startTemporal({
    dir,
    ...(options.persistent && { persistent: true }),
    ...(options.uiPort !== undefined && { uiPort: options.uiPort }),
    ...(options.dynamicConfig && { dynamicConfig: options.dynamicConfig }),
    namespaces: [callerNamespace],
  });
  const stack: TestStack = {
    temporal,
    address: temporal.address,
    client: undefined as unknown as Client,
    taskQueue,
    artifactsDir,
    masterKeys,
    webhookSecret,
    keysFile,
    tenant,
    apiKey,
    accessTokenSecrets,
    uiBaseUrl,
    nexusEndpoint: nexusEndpointName,
    callerNamespace,
    api: undefined as unknown as ApiProcess,
    workers: [],

    async startWorker(env = {}) {
      const worker = await startWorker({
        address: temporal.address,
        taskQueue: env.TASK_QUEUE ?? taskQueue,
        env: {
          WEBHOOK_SECRETS: webhookSecret,
          API_KEYS_FILE: keysFile,
          ARTIFACTS_DIR: artifactsDir,
          MASTER_KEYS: masterKeys,
          // Processes started through Nexus belong to the default tenant, so tests read them with its key.
          NEXUS_TENANT: tenant,
          ...env,
        },
      });
      stack.workers.push(worker);
      void worker.exited.then(() => {
        const index = stack.workers.indexOf(worker);
        if (index >= 0) stack.workers.splice(index, 1);
      });
      return worker;
    },

    startApi: (api = {}) => launchApi(api),

    createKey: (keyOptions) => updateKeysFile(keysFile, (file) => addApiKey(file, keyOptions).secret),

    apiKeyTool: (args) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'scripts/api-key.ts', ...args],
          { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, API_KEYS_FILE: keysFile } },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),

    async stopWorkers() {
      await Promise.all(stack.workers.map((worker) => worker.stop()));
    },

    async restartApi(how) {
      const old = stack.api;
      await (how === 'kill9' ? old.kill9() : old.stop());
      stack.api = await launchApi({ ...options.api, port: old.port });
      return stack.api;
    },

    restartServer: (how) => temporal.restart(how),

    async count(where) {
      const query = `TaskQueue = '${taskQueue}'${where ? ` AND ${where}` : ''}`;
      return (await stack.client.workflow.count(query)).count;
    },

    async stop() {
      await Promise.allSettled([...[...apis].map((api) => api.stop()), stack.stopWorkers()]);
      await stack.client?.connection.close().catch(() => {});
      await temporal.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    stack.client = await connectClient(temporal.address);
    await ensureNexusEndpoint({
      cli: temporalCli(),
      address: temporal.address,
      namespace: 'default',
      taskQueue,
    });
    stack.api = await launchApi(options.api ?? {});
    // One at a time: bundling workflow code is CPU-heavy, and the machine may have 2 cores.
    for (let i = 0; i < (options.workers ?? 1); i++) await stack.startWorker();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
