/**
 * The floor of S3 as processes of the step's: its worker (bench/floor/worker.ts) and its client
 * (bench/floor/client.ts) on a task queue of their own, on the stack's server. Both are stopped
 * with the step.
 */
import { randomUUID } from 'node:crypto';
import type { ManagedProcess } from '../../scripts/launcher.js';
import type { StepContext } from './measure.js';
import { launchScript, printed } from './scripts.js';

export interface FloorRound {
  /** Executions that ended within the round's time. */
  completed: number;
  /** And those still in flight then, which ended afterwards. */
  all: number;
  failures: number;
  seconds: number;
}

export interface Floor {
  taskQueue: string;
  worker: ManagedProcess;
  client: ManagedProcess;
  /** One round of `seconds` with `concurrency` executions in flight (set at start), until the last has ended. */
  round(): Promise<FloorRound>;
}

export async function startFloor(
  ctx: StepContext,
  options: { seconds: number; concurrency: number },
): Promise<Floor> {
  const { stack, signal, defer } = ctx;
  const taskQueue = `floor-${randomUUID()}`;
  const env = { TEMPORAL_ADDRESS: stack.server.address, TASK_QUEUE: taskQueue };
  const ready = (child: ManagedProcess, what: string, timeoutMs: number) =>
    printed(child, /^ready$/m, { what, timeoutMs, signal });
  const worker = launchScript('floor worker', 'bench/floor/worker.ts', env);
  defer(() => worker.stop());
  // Bundling its workflows takes a few seconds, more on a busy machine.
  await ready(worker, 'floor worker polling', 180_000);
  const client = launchScript('floor client', 'bench/floor/client.ts', {
    ...env,
    SECONDS: String(options.seconds),
    CONCURRENCY: String(options.concurrency),
  });
  defer(() => client.stop());
  await ready(client, 'floor client connected', 60_000);
  let rounds = 0;
  return {
    taskQueue,
    worker,
    client,
    async round() {
      const n = ++rounds;
      client.child.kill('SIGUSR2');
      const pattern = new RegExp(`^done ${n} (.*)$`, 'm');
      const out = await printed(client, pattern, {
        what: `floor round ${n}`,
        timeoutMs: (options.seconds + 120) * 1000,
        signal,
      });
      return JSON.parse(pattern.exec(out)![1]!) as FloorRound;
    },
  };
}
