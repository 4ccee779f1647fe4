/**
 * The production build end to end: `npm run build`, then `NODE_ENV=production npm run api` and
 * `npm run worker` run the compiled code in dist/ and the prebuilt workflow bundle (no tsx, no
 * webpack at start), and serve a process through HTTP, worker and server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { eventually, freePort, launch, repoRoot, type ManagedProcess } from '../../scripts/launcher.js';
import { processTree } from '../../scripts/proc-stats.js';
import { pollUntilEnded, startProcess } from '../support/api-client.js';
import { logLines } from '../support/ops.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let api: ManagedProcess;
let worker: ManagedProcess;
let apiUrl: string;
const started: ManagedProcess[] = [];

/** `npm run <script>` with NODE_ENV=production, as an operator runs it. */
function npmRun(script: 'api' | 'worker', env: Record<string, string>): ManagedProcess {
  const managed = launch(`npm run ${script}`, 'npm', ['run', '--silent', script], {
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: stack.taskQueue,
    ARTIFACTS_DIR: stack.artifactsDir,
    MASTER_KEYS: stack.masterKeys,
    // Production refuses to start without keys: the stack's keys file and token secrets.
    API_KEYS_FILE: stack.keysFile,
    ACCESS_TOKEN_SECRETS: stack.accessTokenSecrets,
    ...env,
  });
  started.push(managed);
  return managed;
}

/** The command lines of a process and its descendants (npm → sh → node). */
const commandLines = (pid: number): string[] =>
  processTree(pid).flatMap((child) => {
    try {
      return [readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim()];
    } catch {
      return [];
    }
  });

before(async () => {
  await promisify(execFile)('npm', ['run', '--silent', 'build'], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  stack = await startStack({ workers: 0 });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = npmRun('api', { PORT: String(port), HOST: '127.0.0.1' });
  worker = npmRun('worker', {});
  await eventually(() => api.output().includes('longrun API listening') || !api.alive(), Boolean, {
    timeoutMs: 60_000,
    what: 'the compiled API listening',
  });
  await eventually(() => /"state":"RUNNING"/.test(worker.output()) || !worker.alive(), Boolean, {
    timeoutMs: 60_000,
    what: 'the compiled worker polling',
  });
  assert.ok(api.alive() && worker.alive(), `api:\n${api.output()}\nworker:\n${worker.output()}`);
});
after(async () => {
  await Promise.allSettled(started.map((managed) => managed.stop()));
  await stack?.stop();
});

describe('production build', () => {
  it('npm run build wrote the compiled entry points and the workflow bundle', () => {
    for (const file of [
      'dist/api/server.js',
      'dist/worker.js',
      'dist/workflow-bundle.js',
      'dist/workflow-bundle-traced.js',
    ]) {
      assert.ok(existsSync(join(repoRoot, file)), file);
    }
  });

  it('NODE_ENV=production npm run api|worker run dist/ with node alone: no tsx', () => {
    const apiNode = commandLines(api.pid).find((line) => line.includes('dist/api/server.js'));
    const workerNode = commandLines(worker.pid).find((line) => line.includes('dist/worker.js'));
    assert.ok(apiNode, `a node process runs dist/api/server.js: ${commandLines(api.pid).join(' | ')}`);
    assert.ok(workerNode, `a node process runs dist/worker.js: ${commandLines(worker.pid).join(' | ')}`);
    for (const line of [...commandLines(api.pid), ...commandLines(worker.pid)]) {
      assert.doesNotMatch(line, /tsx|\.ts\b/, line);
    }
  });

  it('the worker loads the prebuilt bundle and never runs webpack', () => {
    const lines = logLines(worker);
    const starting = lines.find((line) => typeof line.workflows === 'string');
    assert.equal(starting?.workflows, join(repoRoot, 'dist/workflow-bundle.js'));
    assert.ok(!lines.some((line) => line.msg === 'Workflow bundle created'), 'no bundling at start');
    assert.ok(
      lines.every((line) => line.service === 'worker'),
      'JSON lines in production',
    );
  });

  it('serves a process through the compiled API and worker', async () => {
    const answer = await startProcess(apiUrl, { kind: 'delay', input: { seconds: 0.3, steps: 2 } });
    assert.equal(answer.status, 202);
    const ended = await pollUntilEnded(answer.body.links.self);
    assert.equal(ended.status, 'succeeded');
    assert.deepEqual((ended.result as { steps: number }).steps, 2);
  });
});
