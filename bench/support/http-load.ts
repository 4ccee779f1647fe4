/**
 * The HTTP load generator: wrk (bench/support/wrk.ts) when it can be had, autocannon (JavaScript,
 * about 0.25 ms of CPU per request here) as the fallback. Three shapes: POSTs for a time, POSTs
 * until a count has answered, and GETs of random paths for a time with their latencies.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import { packageVersion } from './debian.js';
import { findWrk, postScript, randomGetScript, runWrk } from './wrk.js';

/** A timed burst of requests: how many were answered 2xx within `seconds`, and how many failed. */
export interface Burst {
  ok: number;
  failures: number;
  seconds: number;
}

/** A burst with the latencies of its answers, milliseconds. */
export interface LatencyBurst extends Burst {
  p50: number;
  p99: number;
}

export interface HttpLoad {
  /** What sends the load, with its version. */
  tool: string;
  /** Requests for `seconds`; those answered within the time count. */
  run(seconds: number, signal: AbortSignal): Promise<Burst>;
  /** Requests until `count` have answered (a few more may be in flight then, and count if answered). */
  burst(count: number, signal: AbortSignal): Promise<Burst>;
}

export interface HttpGetLoad {
  tool: string;
  run(seconds: number, signal: AbortSignal): Promise<LatencyBurst>;
}

/** POSTs of `body` (with `headers`) to `url` over `concurrency` keep-alive connections; `dir` holds wrk's script. */
export function httpPostLoad(
  url: string,
  body: string,
  concurrency: number,
  dir: string,
  headers: Record<string, string> = {},
): HttpLoad {
  const wrk = findWrk();
  if (!wrk) return autocannonPost(url, body, concurrency, headers);
  const script = postScript(body, headers);
  const scriptFile = join(dir, 'post.lua');
  const common = { wrk, url, connections: concurrency, script, scriptFile };
  const burst = (s: { failures: number; requests: number; seconds: number }): Burst => ({
    ok: s.requests,
    failures: s.failures,
    seconds: s.seconds,
  });
  return {
    tool: wrk.tool,
    run: async (seconds, signal) => burst(await runWrk({ ...common, seconds, signal })),
    burst: async (count, signal) => burst(await runWrk({ ...common, answers: count, signal })),
  };
}

/** GETs of `baseUrl` + a path picked at random from `paths` for each request. */
export function httpGetLoad(baseUrl: string, paths: string[], concurrency: number, dir: string): HttpGetLoad {
  const wrk = findWrk();
  if (!wrk) return autocannonGet(baseUrl, paths, concurrency);
  const script = randomGetScript(paths, dir);
  return {
    tool: wrk.tool,
    async run(seconds, signal) {
      const s = await runWrk({
        wrk,
        url: baseUrl,
        connections: concurrency,
        script,
        scriptFile: join(dir, 'get.lua'),
        seconds,
        signal,
      });
      return { ok: s.requests, failures: s.failures, seconds: s.seconds, p50: s.p50, p99: s.p99 };
    },
  };
}

const autocannonTool = () => `autocannon ${packageVersion('autocannon')}`;

function autocannonPost(
  url: string,
  body: string,
  concurrency: number,
  headers: Record<string, string>,
): HttpLoad {
  const options = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections: concurrency,
    timeout: 60,
  };
  return {
    tool: autocannonTool(),
    run: async (seconds, signal) => (await autocannonRun({ ...options, duration: seconds }, signal)).burst,
    burst: async (count, signal) => (await autocannonRun({ ...options, amount: count }, signal)).burst,
  };
}

function autocannonGet(baseUrl: string, paths: string[], concurrency: number): HttpGetLoad {
  return {
    tool: autocannonTool(),
    async run(seconds, signal) {
      const { burst, result } = await autocannonRun(
        {
          url: baseUrl,
          connections: concurrency,
          duration: seconds,
          timeout: 60,
          requests: [
            {
              setupRequest: (request) => ({
                ...request,
                path: paths[Math.floor(Math.random() * paths.length)]!,
              }),
            },
          ],
        },
        signal,
      );
      return { ...burst, p50: result.latency.p50, p99: result.latency.p99 };
    },
  };
}

/** One autocannon run; as with wrk, only answers within a timed run's duration count. */
function autocannonRun(
  options: autocannon.Options,
  signal: AbortSignal,
): Promise<{ burst: Burst; result: autocannon.Result }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const deadline = options.duration === undefined ? Infinity : t0 + Number(options.duration) * 1000;
    let ok = 0;
    const instance = autocannon(options, (err: unknown, result: autocannon.Result) => {
      if (signal.aborted) reject(signal.reason as Error);
      else if (err) reject(err instanceof Error ? err : new Error(`autocannon: ${JSON.stringify(err)}`));
      else {
        const seconds = options.duration === undefined ? (performance.now() - t0) / 1000 : options.duration;
        const failures = result.non2xx + result.errors + result.timeouts;
        resolve({ burst: { ok, failures, seconds: Number(seconds) }, result });
      }
    });
    signal.addEventListener('abort', () => instance.stop(), { once: true });
    instance.on('response', (_client, statusCode) => {
      if (statusCode >= 200 && statusCode < 300 && performance.now() <= deadline) ok++;
    });
  });
}
