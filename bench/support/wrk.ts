/**
 * wrk (C, Debian's package) as the bench's HTTP load generator: a Lua script per load, run as a
 * launched child (killed with the bench, and when the measure aborts), read back as one JSON line
 * its `done` hook prints. It costs the shared cores a few microseconds per request, so the side
 * under load pays for itself rather than for its client.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../../scripts/launcher.js';
import { ensureDebianCommand } from './debian.js';

export interface Wrk {
  path: string;
  /** e.g. `wrk 4.1.0-3+b2`. */
  tool: string;
}

/** wrk, installed from Debian if missing; undefined when it cannot be. */
export function findWrk(): Wrk | undefined {
  const path = ensureDebianCommand('wrk', 'wrk');
  if (!path) return undefined;
  // Debian's build says `wrk debian/4.1.0-3+b2`.
  const version = /wrk (?:debian\/)?(\S+)/.exec(
    spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout,
  )?.[1];
  return { path, tool: `wrk ${version ?? ''}`.trim() };
}

/** What one wrk run counted: answers (2xx and 3xx), failures, its own clock and latencies. */
export interface WrkSummary {
  requests: number;
  failures: number;
  seconds: number;
  /** Latency percentiles of the answers, milliseconds. */
  p50: number;
  p99: number;
}

export interface WrkRun {
  wrk: Wrk;
  url: string;
  connections: number;
  /** The run's own Lua (method, headers, body, a `request` function); `done` is added. */
  script: string[];
  /** Its file, in the measure's folder. */
  scriptFile: string;
  signal: AbortSignal;
  /** Run for this long … */
  seconds?: number;
  /** … or until this many answers have come (wrk is then interrupted, and counts what it has). */
  answers?: number;
}

const doneHook = [
  'done = function(summary, latency, requests)',
  '  local e = summary.errors',
  '  io.write(string.format(\'{"requests":%d,"durationUs":%d,"failures":%d,"p50":%d,"p99":%d}\\n\',',
  '    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,',
  '    latency:percentile(50), latency:percentile(99)))',
  'end',
];

/** A hook that prints `reached` once `answers` answers have come, so that the caller can stop wrk. */
const counterHook = (answers: number) => [
  'local answered = 0',
  'response = function(status, headers, body)',
  '  answered = answered + 1',
  `  if answered == ${answers} then io.write("reached\\n"); io.stdout:flush() end`,
  'end',
];

/** Runs wrk once; throws if it fails, or when the measure aborts. */
export async function runWrk(run: WrkRun): Promise<WrkSummary> {
  const { wrk, url, connections, signal, seconds, answers } = run;
  if ((seconds === undefined) === (answers === undefined)) throw new Error('runWrk: seconds or answers');
  writeFileSync(
    run.scriptFile,
    [...run.script, ...(answers === undefined ? [] : counterHook(answers)), ...doneHook].join('\n'),
  );
  // A count has no duration of its own: wrk is told an hour and interrupted (SIGINT: it reports) once reached.
  const duration = seconds ?? 3600;
  const child = launch(
    'wrk',
    wrk.path,
    ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '60s', '-s', run.scriptFile, url],
    {},
  );
  const kill = () => void child.kill9();
  signal.addEventListener('abort', kill, { once: true });
  let reached: NodeJS.Timeout | undefined;
  if (answers !== undefined) {
    reached = setInterval(() => {
      if (/^reached$/m.test(child.output())) {
        clearInterval(reached);
        child.child.kill('SIGINT');
      }
    }, 5);
  }
  // A bound whatever happens: a count that never comes, a wrk that hangs.
  const overdue = setTimeout(kill, ((seconds ?? 600) + 90) * 1000);
  try {
    await child.exited;
  } finally {
    clearTimeout(overdue);
    clearInterval(reached);
    signal.removeEventListener('abort', kill);
  }
  signal.throwIfAborted();
  const last = child.output().trim().split('\n').at(-1) ?? '';
  if (child.child.exitCode !== 0 || !last.startsWith('{'))
    throw new Error(`wrk failed (exit ${child.child.exitCode ?? child.child.signalCode}): ${last}`);
  const summary = JSON.parse(last) as {
    requests: number;
    durationUs: number;
    failures: number;
    p50: number;
    p99: number;
  };
  return {
    requests: summary.requests - summary.failures,
    failures: summary.failures,
    seconds: summary.durationUs / 1e6,
    p50: summary.p50 / 1000,
    p99: summary.p99 / 1000,
  };
}

/** Lua for a POST of `body` with `headers`. */
export function postScript(body: string, headers: Record<string, string>): string[] {
  return [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    `wrk.body = ${lua(body)}`,
  ];
}

/** Lua for GETs of paths picked at random (uniformly, independently) from `paths`, written to `dir`. */
export function randomGetScript(paths: string[], dir: string): string[] {
  const file = join(dir, 'paths.txt');
  writeFileSync(file, `${paths.join('\n')}\n`);
  return [
    'local paths = {}',
    `for line in io.lines(${lua(file)}) do paths[#paths + 1] = line end`,
    'math.randomseed(os.time())',
    'request = function() return wrk.format("GET", paths[math.random(#paths)]) end',
  ];
}

/** A Lua string literal (JSON's escapes are Lua's for what we write). */
const lua = (text: string) => JSON.stringify(text);
