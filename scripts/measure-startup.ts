/**
 * `npm run measure:startup`: the worker's start time to polling, from source (tsx, the workflow
 * bundle built by webpack at start) and compiled (`npm run build`'s dist/ and prebuilt bundle),
 * measured side by side and alternately on one dev server, and the memory (RSS) of an idle API
 * and worker of each. Runs `npm run build` first. Prints a table; a measure that fails is shown
 * as failed, the others still print. Absolute times drift with the machine's load: compare the
 * rows of one run.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onInterrupt, repoRoot, startApi, startDevServer, startWorker, stopAll } from './launcher.js';
import { rssKiB } from './proc-stats.js';

type Entry = 'source' | 'compiled';
const rounds = Number(process.env.ROUNDS ?? 3);
const idleMs = 5000;

onInterrupt(async () => {
  await stopAll(5000);
  process.exit(130);
});

console.log('npm run build …');
execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });

const dir = await mkdtemp(join(tmpdir(), 'longrun-measure-'));
const server = await startDevServer();
const env = (entry: Entry) => ({
  ARTIFACTS_DIR: join(dir, 'artifacts'),
  MASTER_KEYS: `measure:${randomBytes(32).toString('base64')}`,
  ...(entry === 'compiled' && { NODE_ENV: 'production' }),
});
const startMs: Record<Entry, number[]> = { source: [], compiled: [] };
const workerRss: Record<Entry, number[]> = { source: [], compiled: [] };
const apiRss: Record<Entry, number[]> = { source: [], compiled: [] };
const failures: string[] = [];

async function measure(entry: Entry): Promise<void> {
  const taskQueue = `measure-${randomUUID()}`;
  const t0 = performance.now();
  const worker = await startWorker({ address: server.address, taskQueue, entry, env: env(entry) });
  startMs[entry].push(performance.now() - t0);
  const api = await startApi({ address: server.address, taskQueue, entry, env: env(entry) });
  await sleep(idleMs);
  workerRss[entry].push(rssKiB(worker.pid) / 1024);
  apiRss[entry].push(rssKiB(api.pid) / 1024);
  await Promise.all([worker.stop(), api.stop()]);
}

try {
  for (let round = 1; round <= rounds; round++) {
    for (const entry of ['source', 'compiled'] as const) {
      try {
        await measure(entry);
      } catch (err) {
        failures.push(`${entry}, round ${round}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

const median = (values: number[]): string => {
  if (values.length === 0) return 'failed';
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!.toFixed(0);
};
console.log(`\nmedian of ${rounds} rounds (idle = ${idleMs / 1000} s after start)`);
console.log('| run from | worker start to polling (ms) | idle worker RSS (MiB) | idle API RSS (MiB) |');
console.log('|---|---:|---:|---:|');
for (const entry of ['source', 'compiled'] as const) {
  const label = entry === 'source' ? 'source (tsx, webpack at start)' : 'compiled (dist/, prebuilt bundle)';
  console.log(
    `| ${label} | ${median(startMs[entry])} | ${median(workerRss[entry])} | ${median(apiRss[entry])} |`,
  );
}
const ratio = Number(median(startMs.source)) / Number(median(startMs.compiled));
if (Number.isFinite(ratio)) console.log(`\nthe compiled worker starts ${ratio.toFixed(1)}× faster`);
for (const failure of failures) console.log(`failed: ${failure}`);
