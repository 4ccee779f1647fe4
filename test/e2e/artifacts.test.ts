/**
 * Artifacts and the encrypt/decrypt runners end to end: HTTP upload → API → Temporal dev server →
 * worker (child process) → artifact store → HTTP download. Includes a worker killed mid-encrypt.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { eventually, type ManagedProcess } from '../../scripts/launcher.js';
import type { ProcessResource } from '../../src/contract/resources.js';
import {
  authHeaders,
  pollProcess,
  pollUntilEnded,
  postJson,
  requestJson,
  startProcess,
} from '../support/api-client.js';
import { expectProblem } from '../support/problem.js';
import { useStack, type TestStack } from '../support/stack.js';
import { pendingRunner } from '../support/temporal.js';

const MiB = 1024 * 1024;
const chunkSize = 64 * 1024;

let stack: TestStack;
let worker: ManagedProcess;
useStack({ workers: 0 }, async (started) => {
  stack = started;
  worker = await stack.startWorker();
});

interface Artifact {
  id: string;
  size: number;
  sha256: string;
  contentType: string;
}

interface ArtifactResult {
  artifactId: string;
  size: number;
  sha256: string;
  keyId: string;
  resumedAfterChunk: number;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function upload(data: Uint8Array, apiUrl = stack.api.url) {
  const answer = await requestJson<Artifact>(`${apiUrl}/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { ...answer.body, location: answer.headers.get('location') ?? '' };
}

/** Download, hashing as the bytes arrive (the body is never held whole). */
async function downloadHash(id: string): Promise<{ sha256: string; size: number }> {
  const response = await fetch(`${stack.api.url}/artifacts/${id}`, { headers: authHeaders() });
  assert.equal(response.status, 200);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response.body! as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

async function download(id: string): Promise<Buffer> {
  const response = await fetch(`${stack.api.url}/artifacts/${id}`, { headers: authHeaders() });
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/** Start a process and poll it to its end. */
async function run(kind: 'encrypt' | 'decrypt', input: object, onEach?: (r: ProcessResource) => void) {
  const started = await startProcess(stack.api.url, { kind, input });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return pollUntilEnded(started.body.links.self, {
    timeoutMs: 90_000,
    intervalMs: 150,
    onEach,
  });
}

/** Every file in the artifacts folder (the `.partial` folder itself aside). */
async function storedFiles(): Promise<string[]> {
  const entries = await readdir(stack.artifactsDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

describe('artifacts and encryption', { concurrency: false }, () => {
  const data = randomBytes(64 * MiB);
  const dataHash = sha256(data);
  let plain: Artifact;

  it('uploads 64 MiB, encrypts, decrypts and downloads it byte-identical', async () => {
    const uploaded = await upload(data);
    plain = uploaded;
    assert.equal(uploaded.size, data.length);
    assert.equal(uploaded.sha256, dataHash);
    assert.equal(uploaded.location, `${stack.api.url}/artifacts/${uploaded.id}`);
    const head = await fetch(uploaded.location, { method: 'HEAD', headers: authHeaders() });
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal(head.headers.get('etag'), `"${dataHash}"`);

    const encrypted = await run('encrypt', { artifactId: uploaded.id });
    assert.equal(encrypted.status, 'succeeded', JSON.stringify(encrypted.error));
    const cipher = encrypted.result as ArtifactResult;
    assert.equal(cipher.keyId, 'e2e');
    assert.ok(cipher.size > data.length);
    assert.deepEqual(await downloadHash(cipher.artifactId), { sha256: cipher.sha256, size: cipher.size });

    const decrypted = await run('decrypt', { artifactId: cipher.artifactId });
    assert.equal(decrypted.status, 'succeeded', JSON.stringify(decrypted.error));
    const result = decrypted.result as ArtifactResult;
    assert.equal(result.sha256, dataHash);
    assert.deepEqual(await downloadHash(result.artifactId), { sha256: dataHash, size: data.length });

    const range = await fetch(`${stack.api.url}/artifacts/${result.artifactId}`, {
      headers: { range: 'bytes=1000000-1999999', ...authHeaders() },
    });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), data.subarray(1_000_000, 2_000_000));
  });

  it('a flipped byte, a truncated file and swapped chunks each fail decrypt with their type', async () => {
    const small = randomBytes(5 * chunkSize + 100);
    const encrypted = await run('encrypt', { artifactId: (await upload(small)).id });
    const file = await download((encrypted.result as ArtifactResult).artifactId);
    const headerBytes = 8 + 1 + 4 + 16 + 1 + 'e2e'.length + 60;
    const record = 25 + chunkSize + 16;
    const chunk = (i: number) => file.subarray(headerBytes + i * record, headerBytes + (i + 1) * record);

    const flipped = Buffer.from(file);
    flipped[headerBytes + 2 * record + 1000] = flipped[headerBytes + 2 * record + 1000]! ^ 0x01;
    const truncated = file.subarray(0, file.length - 1000);
    const swapped = Buffer.concat([
      file.subarray(0, headerBytes),
      chunk(0),
      chunk(2),
      chunk(1),
      file.subarray(headerBytes + 3 * record),
    ]);
    assert.equal(swapped.length, file.length);

    const cases = [
      { name: 'flipped byte', bytes: flipped, type: 'CiphertextTampered' },
      { name: 'truncated', bytes: truncated, type: 'CiphertextTruncated' },
      { name: 'swapped chunks', bytes: swapped, type: 'ChunksReordered' },
    ];
    const before = await storedFiles();
    const outcomes = await Promise.all(
      cases.map(async ({ bytes }) => {
        const { id } = await upload(bytes);
        return { id, final: await run('decrypt', { artifactId: id }) };
      }),
    );
    cases.forEach(({ name, type }, i) => {
      const { final } = outcomes[i]!;
      assert.equal(final.status, 'failed', name);
      assert.equal(final.error?.type, type, `${name}: ${JSON.stringify(final.error)}`);
      assert.equal(final.attempt, 1, `${name}: not retried`);
    });
    // Nothing but the three uploads was added: failed decrypts leave no output, partial or whole.
    const added = (await storedFiles()).filter((name) => !before.includes(name));
    assert.deepEqual(added.sort(), outcomes.flatMap(({ id }) => [id, `${id}.json`]).sort());
  });

  it('refuses a missing artifact at POST /processes and starts no workflow', async () => {
    const count = async () => (await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}'`)).count;
    const before = await count();
    for (const kind of ['encrypt', 'decrypt']) {
      const answer = await postJson(`${stack.api.url}/processes`, {
        kind,
        input: { artifactId: '0'.repeat(32) },
      });
      const problem = await expectProblem(answer, 422);
      assert.deepEqual(
        problem.errors?.map((e) => e.pointer),
        ['/input/artifactId'],
      );
    }
    // Visibility is eventually consistent: give it a moment before counting again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await count(), before);
  });

  it('refuses an upload over the limit with 413 and leaves nothing in the artifacts folder', async () => {
    const api = await stack.startApi({ maxArtifactBytes: MiB });
    const before = await storedFiles();
    const tooBig = randomBytes(2 * MiB);
    const declared = await requestJson<{ type: string }>(`${api.url}/artifacts`, {
      method: 'POST',
      body: tooBig,
    });
    await expectProblem(declared, 413);
    // Without Content-Length the limit is found while streaming; the partial file must go too.
    let sent = 0;
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= tooBig.length) return controller.close();
        controller.enqueue(tooBig.subarray(sent, sent + 64 * 1024));
        sent += 64 * 1024;
      },
    });
    const streamed = await requestJson<{ type: string }>(`${api.url}/artifacts`, {
      method: 'POST',
      body: chunked,
      duplex: 'half',
    });
    const problem = await expectProblem(streamed, 413);
    assert.equal(problem.type, 'urn:longrun:problem:payload-too-large');
    assert.deepEqual(await storedFiles(), before);
    await api.stop();
  });

  it('a worker killed with kill -9 mid-encrypt: the retry resumes, and the round trip stays byte-identical', async () => {
    // Slow the runner down so that it can be killed half-way (a testing aid), and flush heartbeats often.
    await worker.stop();
    const slow = { RUNNER_THROTTLE_BYTES_PER_SEC: String(12 * MiB), PROGRESS_INTERVAL_MS: '200' };
    const first = await stack.startWorker(slow);
    const started = await startProcess(stack.api.url, { kind: 'encrypt', input: { artifactId: plain.id } });
    const url = started.body.links.self;

    const beforeKill = await pollProcess(url, (r) => r.progress.percent >= 25, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    assert.equal(beforeKill.attempt, 1);
    assert.ok(beforeKill.progress.percent < 90, `killed half-way (${beforeKill.progress.percent}%)`);
    const percentBeforeKill = beforeKill.progress.percent;
    // Kill only once the server holds a checkpoint at least that far (heartbeats reach it asynchronously).
    await eventually(
      () => pendingRunner(stack.client, started.body.id),
      (runner) => (runner?.heartbeat?.progress.percent ?? -1) >= percentBeforeKill,
      { timeoutMs: 30_000, intervalMs: 50, what: `a checkpoint at ${percentBeforeKill}% on the server` },
    );
    await first.kill9();

    worker = await stack.startWorker(slow);
    const seen: { attempt: number; percent: number }[] = [];
    const final = await pollUntilEnded(url, {
      timeoutMs: 90_000,
      intervalMs: 100,
      onEach: (r) => seen.push({ attempt: r.attempt, percent: r.progress.percent }),
    });
    assert.equal(final.status, 'succeeded', JSON.stringify(final.error));
    assert.equal(final.attempt, 2, 'the second attempt finished the work');

    // The retry resumed: its progress never went below where the first attempt was, less a chunk.
    const oneChunk = (chunkSize / data.length) * 100;
    const resumed = seen.filter((p) => p.attempt === 2).map((p) => p.percent);
    assert.ok(resumed.length > 0, 'saw the second attempt running');
    assert.ok(
      Math.min(...resumed) >= percentBeforeKill - oneChunk,
      `attempt 2 at ${resumed.join(', ')}%; ${percentBeforeKill}% before the kill`,
    );
    const result = final.result as ArtifactResult;
    assert.ok(
      result.resumedAfterChunk >= Math.floor((percentBeforeKill / 100) * (data.length / chunkSize)) - 1,
      `resumed after chunk ${result.resumedAfterChunk}, ${percentBeforeKill}% was done before the kill`,
    );

    const decrypted = await run('decrypt', { artifactId: result.artifactId });
    assert.equal(decrypted.status, 'succeeded', JSON.stringify(decrypted.error));
    assert.deepEqual(await downloadHash((decrypted.result as ArtifactResult).artifactId), {
      sha256: dataHash,
      size: data.length,
    });
    assert.ok(!(await storedFiles()).some((name) => name.endsWith('.tmp')), 'no temporary files left');
  });
});
