/**
 * The HTTP load generator. wrk (C, Debian's package, installed if missing) costs the shared cores
 * a few microseconds per request, so the API side pays for the API rather than for its client;
 * autocannon (JavaScript, about 0.25 ms of CPU per request here) is the fallback.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { launch } from '../../scripts/launcher.js';
import { benchAuthorization } from './auth.js';
import { ensureDebianCommand, packageVersion } from './debian.js';

/** A timed burst of requests: how many were answered 2xx within `seconds`, and how many failed. */
export interface Burst {
  ok: number;
  failures: number;
  seconds: number;
}

export interface HttpLoad {
  /** What sends the load, with its version. */
  tool: string;
  run(seconds: number, signal: AbortSignal): Promise<Burst>;
}

/** POSTs of `body` to `url` over `concurrency` keep-alive connections; `dir` holds wrk's script. */
export function httpPostLoad(url: string, body: string, concurrency: number, dir: string): HttpLoad {
  const wrk = ensureDebianCommand('wrk', 'wrk');
  return wrk ? wrkLoad(wrk, url, body, concurrency, dir) : autocannonLoad(url, body, concurrency);
}

function wrkLoad(wrk: string, url: string, body: string, concurrency: number, dir: string): HttpLoad {
  const script = join(dir, 'post.lua');
  // wrk counts the answers within the duration; the Lua reports them, and the failures, as JSON.
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.headers["Authorization"] = ${JSON.stringify(benchAuthorization())}`,
      `wrk.body = ${JSON.stringify(body)}`,
      'done = function(summary)',
      '  local e = summary.errors',
      '  io.write(string.format(\'{"requests":%d,"durationUs":%d,"failures":%d}\\n\', summary.requests,',
      '    summary.duration, e.connect + e.read + e.write + e.status + e.timeout))',
      'end',
    ].join('\n'),
  );
  // Debian's build says `wrk debian/4.1.0-3+b2`.
  const version = /wrk (?:debian\/)?(\S+)/.exec(
    spawnSync(wrk, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout,
  )?.[1];
  return {
    tool: `wrk ${version ?? ''}`.trim(),
    async run(seconds, signal) {
      // A launched child: killed if the bench is interrupted, and here if the measure is aborted.
      const child = launch(
        'wrk',
        wrk,
        ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '60s', '-s', script, url],
        {},
      );
      const kill = () => void child.kill9();
      signal.addEventListener('abort', kill, { once: true });
      const overdue = setTimeout(kill, (seconds + 90) * 1000);
      try {
        await child.exited;
      } finally {
        clearTimeout(overdue);
        signal.removeEventListener('abort', kill);
      }
      signal.throwIfAborted();
      const last = child.output().trim().split('\n').at(-1) ?? '';
      if (child.child.exitCode !== 0 || !last.startsWith('{'))
        throw new Error(`wrk failed (exit ${child.child.exitCode ?? child.child.signalCode}): ${last}`);
      const summary = JSON.parse(last) as { requests: number; durationUs: number; failures: number };
      return {
        ok: summary.requests - summary.failures,
        failures: summary.failures,
        seconds: summary.durationUs / 1e6,
      };
    },
  };
}

function autocannonLoad(url: string, body: string, concurrency: number): HttpLoad {
  return {
    tool: `autocannon ${packageVersion('autocannon')}`,
    run: (seconds, signal) =>
      new Promise<Burst>((resolve, reject) => {
        const deadline = performance.now() + seconds * 1000;
        let ok = 0;
        const instance = autocannon(
          {
            url,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: benchAuthorization() },
            body,
            connections: concurrency,
            duration: seconds,
            timeout: 60,
          },
          (err: unknown, result: autocannon.Result) => {
            if (signal.aborted) reject(signal.reason as Error);
            else if (err)
              reject(err instanceof Error ? err : new Error(`autocannon: ${JSON.stringify(err)}`));
            else resolve({ ok, failures: result.non2xx + result.errors + result.timeouts, seconds });
          },
        );
        signal.addEventListener('abort', () => instance.stop(), { once: true });
        // As wrk does: only answers within the duration count.
        instance.on('response', (_client, statusCode) => {
          if (statusCode >= 200 && statusCode < 300 && performance.now() <= deadline) ok++;
        });
      }),
  };
}
