/**
 * One longrun stack for the measures: a Temporal (a dev server in memory or on a SQLite file, or a
 * cluster: PostgreSQL and each Temporal service its own process), one worker and one API process,
 * on a task queue of their own, and a client of the bench's own. `stop()` is idempotent: whoever
 * stops a stack first stops it, later calls wait for that.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  connectClient,
  processTree,
  rssKiB,
  startApi,
  startWorker,
  type ApiProcess,
  type ManagedProcess,
} from '../../scripts/launcher.js';
import { benchAuthEnv } from './auth.js';
import { log } from './log.js';
import { startServer, type StackServer } from './stack-server.js';

/** Which Temporal a stack runs: a dev server in memory, or durable (on a SQLite file), or a cluster. */
export type StackKind = 'memory' | 'durable' | 'cluster';

export class Stack {
  #stopping: Promise<void> | undefined;

  private constructor(
    readonly kind: StackKind,
    readonly server: StackServer,
    readonly client: Client,
    readonly taskQueue: string,
    public api: ApiProcess | undefined,
    public worker: ManagedProcess | undefined,
    /** Extra environment of the stack's workers (P4 raises the runner slots). */
    public workerEnv: Record<string, string> = {},
  ) {}

  /** A fresh stack; `dir` holds the SQLite file of a durable one, the cluster's data of a cluster. */
  static async start(kind: StackKind, dir: string): Promise<Stack> {
    const server = await startServer(kind, dir);
    let client: Client;
    try {
      client = await connectClient(server.address);
    } catch (err) {
      await server.stop();
      throw err;
    }
    const stack = new Stack(kind, server, client, `bench-${randomUUID()}`, undefined, undefined);
    try {
      await stack.ensureUp();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** The stack's worker and API, started again if they are not running; throws if the server is gone. */
  async ensureUp(): Promise<void> {
    if (this.#stopping) throw new Error('the stack has been stopped');
    const gone = this.server.gone();
    if (gone) throw new Error(gone);
    await this.client.connection.withDeadline(Date.now() + 15_000, () =>
      this.client.workflowService.getSystemInfo({}),
    );
    if (this.worker && !this.worker.alive()) log(`${this.kind} stack: the worker exited; starting a new one`);
    if (!this.worker?.alive()) this.worker = await this.startWorker();
    if (this.api && !this.api.alive()) log(`${this.kind} stack: the API exited; starting a new one`);
    if (!this.api?.alive()) this.api = await startApi({ ...this.options(), env: benchAuthEnv() });
  }

  /** The running API (started by {@link ensureUp} before every measure). */
  get apiUrl(): string {
    if (!this.api) throw new Error('the stack has no API');
    return this.api.url;
  }

  /** Stop the stack's worker and start a fresh one, with `env` from now on. */
  async replaceWorker(env: Record<string, string>): Promise<ManagedProcess> {
    await this.worker?.stop();
    this.worker = undefined;
    this.workerEnv = env;
    this.worker = await this.startWorker();
    return this.worker;
  }

  /** Another worker on the stack's task queue, with the stack's worker environment; the caller stops it. */
  startWorker(): Promise<ManagedProcess> {
    return startWorker({ ...this.options(), env: { ...benchAuthEnv(), ...this.workerEnv } });
  }

  /** An API process of the caller's (P1 points one at a queue no worker polls); the caller stops it. */
  startApi(taskQueue: string): Promise<ApiProcess> {
    return startApi({ address: this.server.address, taskQueue, env: benchAuthEnv() });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.allSettled([this.api?.stop(), this.worker?.stop()]);
      await this.client.connection.close().catch(() => undefined);
      await this.server.stop();
    })();
    return this.#stopping;
  }

  private options() {
    return { address: this.server.address, taskQueue: this.taskQueue };
  }
}

/** RSS of a process and its descendants, KiB. */
export function treeRssKiB(pid: number): number {
  return processTree(pid).reduce((sum, member) => {
    try {
      return sum + rssKiB(member);
    } catch {
      return sum;
    }
  }, 0);
}
