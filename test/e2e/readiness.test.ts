/**
 * Readiness end to end: `/healthz` and `/readyz` of the API and of the worker (on its metrics
 * port) against a dev server with longrun's search attributes, and against one started without
 * `LongrunStatus`, where both answer 503 naming it instead of failing later.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  startApi,
  startDevServer,
  startWorker,
  type ApiProcess,
  type DevServer,
  type ManagedProcess,
} from '../../scripts/launcher.js';
import { requestJson } from '../support/api-client.js';
import { workerHttpUrl } from '../support/ops.js';
import { startStack, type TestStack } from '../support/stack.js';

interface Report {
  status: string;
  checks: Record<string, { ok: boolean; detail?: string; missing?: string[] }>;
}

const metricsPort = { WORKER_METRICS_PORT: '0', WORKER_METRICS_HOST: '127.0.0.1' };

describe('readiness with everything in place', () => {
  let stack: TestStack;
  let workerUrl: string;
  before(async () => {
    stack = await startStack({ workers: 0 });
    workerUrl = workerHttpUrl(await stack.startWorker(metricsPort));
  });
  after(() => stack?.stop());

  for (const which of ['api', 'worker'] as const) {
    it(`${which}: /healthz alive, /readyz ready with each check named`, async () => {
      const base = which === 'api' ? stack.api.url : workerUrl;
      const health = await requestJson<{ status: string }>(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      const ready = await requestJson<Report>(`${base}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.status, 'ready');
      const expected = ['temporal', 'namespace', 'searchAttributes', 'artifactStore'];
      if (which === 'worker') expected.push('worker');
      for (const name of expected) assert.equal(ready.body.checks[name]?.ok, true, `${name} ok`);
    });
  }
});

describe('readiness on a namespace without LongrunStatus', () => {
  let server: DevServer;
  let api: ApiProcess;
  let worker: ManagedProcess;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'longrun-readiness-'));
    server = await startDevServer({ withoutSearchAttributes: ['LongrunStatus'] });
    const taskQueue = `test-${randomUUID()}`;
    const env = {
      ARTIFACTS_DIR: join(dir, 'artifacts'),
      MASTER_KEYS: `e2e:${Buffer.alloc(32, 7).toString('base64')}`,
    };
    api = await startApi({ address: server.address, taskQueue, env });
    worker = await startWorker({ address: server.address, taskQueue, env: { ...env, ...metricsPort } });
  });
  after(async () => {
    await Promise.allSettled([api?.stop(), worker?.stop()]);
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const which of ['api', 'worker'] as const) {
    it(`${which}: /readyz is 503 and names the missing search attribute; /healthz stays 200`, async () => {
      const base = which === 'api' ? api.url : workerHttpUrl(worker);
      const ready = await requestJson<Report>(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'not ready');
      const check = ready.body.checks.searchAttributes;
      assert.equal(check?.ok, false);
      assert.deepEqual(check?.missing, ['LongrunStatus']);
      assert.match(check?.detail ?? '', /LongrunStatus/);
      assert.doesNotMatch(check?.detail ?? '', /LongrunKind/, 'only the missing one is named');
      assert.equal(ready.body.checks.temporal?.ok, true);
      assert.equal(ready.body.checks.namespace?.ok, true);
      assert.equal((await requestJson(`${base}/healthz`)).status, 200, 'alive all the same');
    });
  }
});
