/** The machine a run measured on, and the other work it was doing meanwhile. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import type { Client } from '@temporalio/client';
import {
  machineCpuSeconds,
  ownCpuSecondsWithReapedChildren,
  repoRoot,
  temporalCli,
} from '../../scripts/launcher.js';
import { packageVersion } from './debian.js';
import { round } from './stats.js';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  temporalCli: string;
  temporalServer: string;
  temporalSdk: string;
  commit: string;
}

/** Other work on the machine during the run (other users' tests, other virtual machines). */
export interface ForeignLoad {
  /** CPU used by processes that were not ours, in cores on average over the run. */
  otherCores: number;
  /** CPU time the hypervisor gave to other virtual machines, in cores on average. */
  stealCores: number;
  loadAverageAtStart: number;
  /** The raw figures: the machine's busy CPU-seconds over the run, and ours (this script and its children). */
  machineBusyCpuSeconds: number;
  ourCpuSeconds: number;
}

/** `fn()`, or `fallback` when it throws: a detail of the description is never worth the run. */
function orElse<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** A CLI built from source says 0.0.0-DEV: the version scripts/temporal-cli.sh pinned is in its path. */
function cliVersion(): string {
  const reported = execFileSync(temporalCli(), ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  const pinned = /\/temporal-cli\/(v[^/]+)\//.exec(temporalCli())?.[1];
  return pinned ? `${reported}, built from CLI ${pinned}` : reported;
}

function gitCommit(): string {
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!BENCHMARKS.md']);
  return `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes' : ''}`;
}

/** The machine; the server's version when a client to it is at hand. */
export async function describeMachine(client?: Client): Promise<Machine> {
  let temporalServer = 'unknown';
  if (client) {
    try {
      const system = await client.connection.withDeadline(Date.now() + 10_000, () =>
        client.workflowService.getSystemInfo({}),
      );
      temporalServer = system.serverVersion ?? 'unknown';
    } catch {
      // reported as unknown
    }
  }
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: orElse(
      () => /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
      'unknown',
    ),
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    temporalCli: orElse(cliVersion, 'unknown'),
    temporalServer,
    temporalSdk: orElse(() => packageVersion('@temporalio/client'), 'unknown'),
    commit: orElse(gitCommit, 'unknown'), // not a git checkout
  };
}

/** Starts counting now; `read()` once every child has stopped and been reaped. */
export function meterForeignLoad(): { read(): ForeignLoad } {
  const t0 = performance.now();
  const loadAverageAtStart = loadavg()[0]!;
  const ownAtStart = ownCpuSecondsWithReapedChildren();
  const machineAtStart = machineCpuSeconds();
  return {
    read() {
      const wall = (performance.now() - t0) / 1000;
      const machineNow = machineCpuSeconds();
      const ours = ownCpuSecondsWithReapedChildren() - ownAtStart;
      return {
        otherCores: round(Math.max(0, machineNow.busy - machineAtStart.busy - ours) / wall),
        stealCores: round((machineNow.steal - machineAtStart.steal) / wall),
        loadAverageAtStart: round(loadAverageAtStart),
        machineBusyCpuSeconds: round(machineNow.busy - machineAtStart.busy, 1),
        ourCpuSeconds: round(ours, 1),
      };
    },
  };
}
