/**
 * Runs Schemathesis (the OpenAPI fuzzer) over longrun's `/openapi.json` against a running API,
 * with every check and every phase (examples, coverage, fuzzing and the stateful phase that
 * follows the document's `links`). Shared by `npm run fuzz` (the whole run) and the contract
 * test (a short, seeded one). Schemathesis itself comes from scripts/schemathesis.sh.
 */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { guard, release } from '../reaper.js';

const installer = fileURLToPath(new URL('../schemathesis.sh', import.meta.url));
const configFile = fileURLToPath(new URL('./schemathesis.toml', import.meta.url));

/** `st`, installed when needed; `{ missing }` when this machine cannot make a virtualenv. */
export function findSchemathesis(): Promise<{ path: string } | { missing: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [installer], { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ path: stdout.trim() });
      if ((err as { code?: unknown }).code === 3) return resolve({ missing: stderr.trim() });
      reject(new Error(`scripts/schemathesis.sh failed: ${stderr || err.message}`));
    });
  });
}

/**
 * Settings of the API under fuzzing: waits (`Prefer: wait=N`) capped at 5 s, so that every answer
 * comes within Schemathesis's response time limit, and keep-alives on idle event streams each second.
 */
export const fuzzApiEnv = { MAX_WAIT_SECONDS: '5', EVENTS_KEEPALIVE_MS: '1000' };

export interface FuzzOptions {
  /** The API's base URL, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  /** Test cases per operation and phase (Schemathesis's default is 100). */
  maxExamples?: number;
  seed?: number;
  /** Stop the fuzzing and stateful phases after this many seconds. */
  maxTimeSeconds?: number;
  /** Sent as `Authorization: Bearer …` with every request. */
  apiKey?: string;
  /** Where the JUnit and NDJSON reports go. */
  reportDir?: string;
  /** Copy Schemathesis's output to ours as it runs. */
  echo?: boolean;
  /** Anything else for `st run`. */
  extraArgs?: string[];
}

export interface FuzzResult {
  exitCode: number;
  output: string;
}

/** The `st run` arguments for a run with every check and phase. */
export function fuzzArgs(options: FuzzOptions): string[] {
  return [
    '--config-file',
    configFile,
    'run',
    `${options.apiUrl}/openapi.json`,
    '--url',
    options.apiUrl,
    '--checks',
    'all',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    // One worker: the machine is small and shared; the API and Temporal need the cores more.
    '--workers',
    '1',
    // Event streams are read until they end, 20 events or this timeout; so is any other answer.
    '--request-timeout',
    '10',
    ...(options.maxExamples !== undefined ? ['--max-examples', String(options.maxExamples)] : []),
    ...(options.seed !== undefined ? ['--seed', String(options.seed)] : []),
    ...(options.maxTimeSeconds !== undefined ? ['--max-time', String(options.maxTimeSeconds)] : []),
    ...(options.apiKey ? ['--header', `Authorization: Bearer ${options.apiKey}`] : []),
    ...(options.reportDir ? ['--report', 'junit,ndjson', '--report-dir', options.reportDir] : []),
    '--no-color',
    ...(options.extraArgs ?? []),
  ];
}

/** Run `st` to its end; resolves with its exit code (0: no failure) and output. */
export function runSchemathesis(st: string, options: FuzzOptions): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(st, fuzzArgs(options), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false', COLUMNS: '120' },
      detached: true,
    });
    if (child.pid === undefined) return reject(new Error(`could not start ${st}`));
    const pid = child.pid;
    guard(pid);
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const stop = (): void => {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    process.once('exit', stop);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      release(pid);
      process.off('exit', stop);
      resolve({ exitCode: code ?? (signal ? 128 : 1), output });
    });
  });
}
