/** A local redis-server for the BullMQ baselines, from Debian's package (installed if missing). */
import { execFileSync } from 'node:child_process';
import { freePort, launch, type ManagedProcess } from '../../scripts/launcher.js';
import { ensureDebianCommand } from './debian.js';
import { Skip, type StepContext } from './measure.js';
import { waitFor } from './waits.js';

export type RedisPersistence = 'volatile' | 'durable';

export const redisPersistence: Record<RedisPersistence, { args: string[]; description: string }> = {
  volatile: { args: ['--appendonly', 'no'], description: 'no persistence (`--save "" --appendonly no`)' },
  // The strictest setting: every write on disk before it is acknowledged, as a database commit.
  durable: {
    args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    description: 'AOF, fsync on every write (`--save "" --appendonly yes --appendfsync always`)',
  },
};

export interface Redis {
  process: ManagedProcess;
  port: number;
  version: string;
  durability: string;
}

/** Redis on a free port with its files in the step's folder; stopped with the step. */
export async function startRedis(ctx: StepContext, persistence: RedisPersistence): Promise<Redis> {
  const redisServer = ensureDebianCommand('redis-server', 'redis-server');
  if (!redisServer) throw new Skip('redis-server is not installed and could not be installed');
  const port = await freePort();
  const { args, description } = redisPersistence[persistence];
  const redis = launch(
    'redis',
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', ctx.dir, '--save', '', ...args],
    {},
  );
  ctx.defer(() => redis.stop());
  await waitFor(
    () => Promise.resolve(redis.output()),
    (out) => out.includes('Ready to accept connections') || !redis.alive(),
    { timeoutMs: 30_000, intervalMs: 100, what: 'redis ready', signal: ctx.signal },
  );
  if (!redis.alive()) throw new Error(`redis-server exited:\n${redis.output()}`);
  const version =
    /v=(\S+)/.exec(execFileSync(redisServer, ['--version'], { encoding: 'utf8', timeout: 10_000 }))?.[1] ??
    '?';
  return { process: redis, port, version, durability: description };
}
