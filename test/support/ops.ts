/** Helpers of the operability tests: the JSON log lines of a process, its metrics port, Prometheus. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, launch, type ManagedProcess } from '../../scripts/launcher.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string; service?: string };

/** Every JSON line a process printed (its kept output); other lines are skipped. */
export function logLines(managed: Pick<ManagedProcess, 'output'>): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of managed.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the bounded output buffer
    }
  }
  return lines;
}

/** The worker's `WORKER_METRICS_PORT` base URL, as its startup line says (the port may be 0: any free one). */
export function workerHttpUrl(worker: Pick<ManagedProcess, 'output'>): string {
  const port = logLines(worker).find((line) => typeof line.metricsPort === 'number')?.metricsPort;
  if (typeof port !== 'number') throw new Error('the worker logged no metricsPort');
  return `http://127.0.0.1:${port}`;
}

/** A real Prometheus (Debian's package) scraping `targets` every second. */
export interface Prometheus {
  url: string;
  /** One instant query through the HTTP API: the series and their values. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: Record<string, string>): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'longrun-prometheus-'));
  const scrapeConfigs = Object.entries(targets).map(
    ([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${scrapeConfigs.join('')}`,
  );
  const port = await freePort();
  const managed = launch(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    {},
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await managed.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      () =>
        fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        ),
      (ready) => ready || !managed.alive(),
      { timeoutMs: 60_000, what: 'Prometheus ready' },
    );
    if (!managed.alive()) throw new Error(`prometheus exited: ${managed.output()}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(expr) {
      const answer = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await answer.json()) as {
        status: string;
        error?: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? answer.status}`);
      return (body.data?.result ?? []).map((series) => ({
        metric: series.metric,
        value: Number(series.value[1]),
      }));
    },
    stop,
  };
}

/** `promtool check metrics` over a scrape: its exit code and what it said (empty when all is well). */
export async function promtoolCheck(metricsUrl: string): Promise<{ status: number | null; output: string }> {
  const text = await (await fetch(metricsUrl)).text();
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
