/**
 * The reliability suite's cluster and clients: everything runs as real OS processes (see
 * scripts/cluster.ts) so that tests can kill, restart and count; clients retry the way a careful
 * HTTP client would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import {
  connectClient,
  eventually,
  startApi,
  startDevServer,
  startWorker,
  type ApiProcess,
  type DevServer,
  type ManagedProcess,
} from '../../scripts/launcher.js';
import type { ProcessResource } from '../../src/contract/resources.js';

export interface Cluster {
  server: DevServer;
  client: Client;
  taskQueue: string;
  api: ApiProcess;
  workers: ManagedProcess[];
  startWorker(): Promise<ManagedProcess>;
  /** Stop the API (`kill -9` or SIGTERM) and start a new one on the same port. */
  restartApi(how: 'kill9' | 'sigterm'): Promise<ApiProcess>;
  /** Stop the dev server and start it again on the same port and database file. */
  restartServer(how: 'kill9' | 'sigterm'): Promise<DevServer>;
  /** Processes on this cluster's task queue, as visibility counts them. */
  count(where?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  workers?: number;
  /** Keep the dev server's state in a SQLite file, so that it survives a restart. */
  persistent?: boolean;
  apiEnv?: Record<string, string>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'longrun-reliability-')) : undefined;
  const server = await startDevServer(dir ? { dbFilename: join(dir, 'temporal.db') } : {});
  const taskQueue = `reliability-${randomUUID()}`;
  const cluster: Cluster = {
    server,
    client: undefined as unknown as Client,
    taskQueue,
    api: undefined as unknown as ApiProcess,
    workers: [],

    async startWorker() {
      const worker = await startWorker({ address: server.address, taskQueue });
      cluster.workers.push(worker);
      return worker;
    },

    async restartApi(how) {
      const { port } = cluster.api;
      await (how === 'kill9' ? cluster.api.kill9() : cluster.api.stop());
      cluster.api = await startApi({ address: server.address, taskQueue, port, env: options.apiEnv });
      return cluster.api;
    },

    async restartServer(how) {
      const { port, dbFilename } = cluster.server;
      await (how === 'kill9' ? cluster.server.kill9() : cluster.server.stop());
      cluster.server = await startDevServer({ port, dbFilename });
      return cluster.server;
    },

    async count(where) {
      const query = `TaskQueue = '${taskQueue}'${where ? ` AND ${where}` : ''}`;
      return (await cluster.client.workflow.count(query)).count;
    },

    async stop() {
      await Promise.allSettled([cluster.api?.stop(), ...cluster.workers.map((w) => w.stop())]);
      await cluster.client?.connection.close().catch(() => {});
      await cluster.server.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    cluster.client = await connectClient(server.address);
    cluster.api = await startApi({ address: server.address, taskQueue, env: options.apiEnv });
    // One at a time: bundling workflow code is CPU-heavy, and the machine may have 2 cores.
    for (let i = 0; i < (options.workers ?? 1); i++) await cluster.startWorker();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

export interface Answer<T = ProcessResource> {
  status: number;
  contentType: string | null;
  body: T;
}

async function send<T>(url: string, init: RequestInit): Promise<Answer<T>> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(90_000) });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

export function post<T = ProcessResource>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  return send<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** What a retrying client went through: answers it retried (5xx) and requests that never got one. */
export interface RetryLog {
  retriedStatuses: number[];
  networkErrors: number;
}

export const newRetryLog = (): RetryLog => ({ retriedStatuses: [], networkErrors: 0 });

/**
 * POST until an answer below 500 arrives, as a client that holds an Idempotency-Key may: a request
 * cut off by a restart (connection refused or reset, 502/503/504) is simply sent again.
 */
export async function postWithRetry(
  url: string,
  body: unknown,
  idempotencyKey: string,
  log: RetryLog,
  timeoutMs = 120_000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await post(url, body, { 'idempotency-key': idempotencyKey });
      if (answer.status < 500) return answer;
      log.retriedStatuses.push(answer.status);
      // A 500 is a bug, not an outage: never retry it away.
      if (answer.status === 500) return answer;
    } catch {
      log.networkErrors++;
    }
    if (Date.now() > deadline) throw new Error(`POST ${url} (key ${idempotencyKey}) never answered`);
    await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
  }
}

/** GET with `Prefer: wait` until the process has ended (200), retrying through outages. */
export async function waitForEnd(apiUrl: string, id: string, timeoutMs: number): Promise<ProcessResource> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const answer = await send<ProcessResource>(`${apiUrl}/processes/${id}`, {
        headers: { prefer: 'wait=20' },
      });
      if (answer.status === 200) return answer.body;
      if (answer.status !== 202 && answer.status < 500)
        throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('GET ')) throw err;
      await sleep(500); // the API or Temporal is restarting
    }
    if (Date.now() > deadline) throw new Error(`process ${id} did not end within ${timeoutMs} ms`);
  }
}

/** Visibility is eventually consistent: wait until the count settles on the expected value. */
export function countEventually(
  cluster: Cluster,
  where: string | undefined,
  expected: number,
  timeoutMs = 30_000,
): Promise<number> {
  return eventually(
    () => cluster.count(where),
    (n) => n === expected,
    { timeoutMs, what: `count of ${where ?? 'all'} (expected ${expected})` },
  ).catch(async () => cluster.count(where));
}
