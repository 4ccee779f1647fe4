/**
 * Metrics end to end: a real Prometheus (Debian's package) scrapes the API's `/metrics` and the
 * worker's `WORKER_METRICS_PORT`, and the values the test caused are read back through
 * Prometheus's query API; `promtool check metrics` accepts both endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type ManagedProcess } from '../../scripts/launcher.js';
import { cancelProcess, pollUntilEnded, requestJson, startProcess } from '../support/api-client.js';
import { openEventStream } from '../support/receivers.js';
import { promtoolCheck, startPrometheus, workerHttpUrl, type Prometheus } from '../support/ops.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let worker: ManagedProcess;
let workerUrl: string;
let prometheus: Prometheus;

before(async () => {
  stack = await startStack({ workers: 0 });
  worker = await stack.startWorker({ WORKER_METRICS_PORT: '0', WORKER_METRICS_HOST: '127.0.0.1' });
  workerUrl = workerHttpUrl(worker);
  prometheus = await startPrometheus({
    api: new URL(stack.api.url).host,
    worker: new URL(workerUrl).host,
  });
});
after(async () => {
  await prometheus?.stop();
  await stack?.stop();
});

/** The one value of `expr` once `done` holds for it (Prometheus scrapes every second). */
async function valueOf(expr: string, done: (value: number) => boolean = (v) => v > 0): Promise<number> {
  const series = await eventually(
    () => prometheus.query(expr),
    (result) => result.length === 1 && done(result[0]!.value),
    { timeoutMs: 30_000, what: expr },
  );
  return series[0]!.value;
}

describe('metrics', () => {
  it('Prometheus sees requests by route template, starts by kind, runner durations and SDK metrics', async () => {
    const starts = 3;
    const urls: string[] = [];
    for (let i = 0; i < starts; i++) {
      const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 0.3, steps: 2 } });
      assert.equal(started.status, 202);
      urls.push(started.body.links.self);
    }
    for (const url of urls) assert.equal((await pollUntilEnded(url)).status, 'succeeded');
    const missing = await requestJson(`${stack.api.url}/processes/no-such-process`);
    assert.equal(missing.status, 404);

    // Both targets are up.
    assert.equal(await valueOf('up{job="api"}', (v) => v === 1), 1);
    assert.equal(await valueOf('up{job="worker"}', (v) => v === 1), 1);

    // Requests by method, route template and status: never a raw id.
    assert.equal(
      await valueOf(
        'longrun_http_requests_total{job="api",method="POST",route="/processes",status="202"}',
        (v) => v >= starts,
      ),
      starts,
    );
    const reads = await valueOf(
      'sum(longrun_http_requests_total{job="api",method="GET",route="/processes/:id"})',
      (v) => v >= starts + 1,
    );
    assert.ok(reads >= starts + 1, `GETs of /processes/:id counted (${reads})`);
    const routes = await prometheus.query('count by (route) (longrun_http_requests_total{job="api"})');
    for (const { metric } of routes) {
      assert.doesNotMatch(
        metric.route ?? '',
        /no-such-process|[0-9a-f]{8}-[0-9a-f]{4}/,
        'no raw ids as labels',
      );
    }
    assert.ok(
      (await valueOf(
        'longrun_http_request_duration_seconds_count{job="api",method="POST",route="/processes",status="202"}',
        (v) => v >= starts,
      )) >= starts,
    );
    // Starts by kind, status reads by how they were answered.
    assert.equal(
      await valueOf('longrun_processes_started_total{job="api",kind="delay"}', (v) => v >= starts),
      starts,
    );
    // Every answered read was answered somehow (from the terminal cache, a query, visibility…).
    const answered = await valueOf(
      'sum(longrun_http_requests_total{job="api",method="GET",route="/processes/:id",status="200"})',
    );
    const bySource = await prometheus.query('sum by (source) (longrun_status_reads_total{job="api"})');
    const total = bySource.reduce((sum, { value }) => sum + value, 0);
    assert.ok(
      total >= answered,
      `status reads by source ${JSON.stringify(bySource)} cover ${answered} reads`,
    );
    assert.ok(bySource.every(({ metric }) => typeof metric.source === 'string' && metric.source !== ''));

    // Runners: attempts, durations by kind and outcome (each ran at least 0.3 s).
    assert.equal(
      await valueOf('sum(longrun_runner_attempts_total{job="worker",kind="delay"})', (v) => v >= starts),
      starts,
    );
    assert.equal(
      await valueOf(
        'longrun_runner_duration_seconds_count{job="worker",kind="delay",outcome="succeeded"}',
        (v) => v >= starts,
      ),
      starts,
    );
    const seconds = await valueOf(
      'longrun_runner_duration_seconds_sum{job="worker",kind="delay",outcome="succeeded"}',
    );
    assert.ok(seconds >= starts * 0.3, `runner seconds ${seconds} ≥ ${starts} × 0.3`);

    // Temporal's own SDK metrics, from the Runtime's exporter, in the same scrape.
    const completed = await valueOf(
      'sum(temporal_workflow_completed_total{job="worker"})',
      (v) => v >= starts,
    );
    assert.ok(completed >= starts, `workflows completed per the SDK: ${completed}`);
    assert.ok(
      (await valueOf(
        'sum(temporal_activity_execution_latency_seconds_count{job="worker"})',
        (v) => v >= starts,
      )) >= starts,
    );
  });

  it('promtool check metrics accepts both endpoints', async () => {
    for (const url of [`${stack.api.url}/metrics`, `${workerUrl}/metrics`]) {
      const { status, output } = await promtoolCheck(url);
      assert.equal(status, 0, `promtool on ${url}: ${output}`);
      assert.equal(output.trim(), '', `promtool on ${url} had nothing to say`);
    }
  });

  it('open event streams and waits are gauges Prometheus sees rise and fall', async () => {
    const started = await startProcess(stack.api.url, { kind: 'delay', input: { seconds: 60, steps: 60 } });
    assert.equal(started.status, 202);
    const self = started.body.links.self;
    const streams = [await openEventStream(`${self}/events`), await openEventStream(`${self}/events`)];
    const wait = requestJson(self, { headers: { prefer: 'wait=20' } });
    assert.equal(await valueOf('longrun_event_streams_open{job="api"}', (v) => v === 2), 2);
    assert.equal(await valueOf('longrun_waits_open{job="api"}', (v) => v === 1), 1);
    for (const stream of streams) stream.abort();
    assert.equal((await cancelProcess(self)).status, 202);
    assert.equal((await wait).body.status, 'canceled');
    assert.equal(await valueOf('longrun_event_streams_open{job="api"}', (v) => v === 0), 0);
    assert.equal(await valueOf('longrun_waits_open{job="api"}', (v) => v === 0), 0);
  });
});
