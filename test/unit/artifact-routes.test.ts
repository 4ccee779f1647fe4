import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { createApp } from '../../src/api/app.js';
import type { ProcessGateway, StartCommand } from '../../src/gateway/port.js';
import { parseRange } from '../../src/api/range.js';
import { initialState } from '../../src/shared/process-state.js';
import { LocalArtifactStore } from '../../src/artifacts/local-store.js';
import { authorized, testKeys } from '../support/auth.js';
import { expectProblem } from '../support/problem.js';
import { useTempDir } from '../support/temp-dir.js';

const maxBytes = 256 * 1024;
let root: string;
let app: ReturnType<typeof createApp>;
const starts: StartCommand[] = [];

useTempDir('longrun-routes-', async (made) => {
  root = made;
  const store = await LocalArtifactStore.open(root);
  // Artifact routes never touch the gateway; starts are only recorded.
  const gateway: Pick<ProcessGateway, 'start'> = {
    start: (_tenant, command) => {
      starts.push(command);
      const state = initialState(`p-${starts.length}`, 'run', command.kind, new Date().toISOString());
      return Promise.resolve({ state, revision: state.version, uiUrl: 'http://ui.test/p' });
    },
  };
  const { keys, accessTokenSecrets, defaultKey } = testKeys();
  app = authorized(
    createApp({
      gateway: gateway as ProcessGateway,
      maxBodyBytes: 1024,
      retryAfterSeconds: 1,
      logError: (err) => assert.fail(`unexpected error: ${String(err)}`),
      artifacts: { store, maxBytes },
      auth: { keys, accessTokenSecrets },
    }),
    defaultKey,
  );
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function upload(body: RequestInit['body'], headers: Record<string, string> = {}) {
  return app.request('http://api.test/artifacts', { method: 'POST', body, headers, duplex: 'half' });
}

async function storedFiles(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/** A body without Content-Length, in pieces: the limit can only be found while streaming. */
function streamOf(data: Buffer, piece = 16 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) return controller.close();
      controller.enqueue(data.subarray(at, at + piece));
      at += piece;
    },
  });
}

describe('artifacts over HTTP', { concurrency: false }, () => {
  const data = randomBytes(100_000);
  let id: string;
  let url: string;

  it('POST stores the body and answers 201 with the artifact and an absolute Location', async () => {
    const res = await upload(streamOf(data), { 'content-type': 'image/png' });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { id: string; size: number; sha256: string; contentType: string };
    assert.deepEqual(Object.keys(body).sort(), ['contentType', 'id', 'sha256', 'size']);
    assert.match(body.id, /^[0-9a-f]{32}$/);
    assert.equal(body.size, data.length);
    assert.equal(body.sha256, sha256(data));
    assert.equal(body.contentType, 'image/png');
    url = res.headers.get('location') ?? '';
    assert.equal(url, `http://api.test/artifacts/${body.id}`);
    assert.equal(res.headers.get('etag'), `"${body.sha256}"`);
    id = body.id;
  });

  it('GET streams it back with its type, length and ETag', async () => {
    const res = await app.request(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('etag'), `"${sha256(data)}"`);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  it('GET with Range answers 206 with Content-Range', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=99990-', 99_990, 99_999],
      ['bytes=-5', 99_995, 99_999],
      ['bytes=50000-999999999', 50_000, 99_999],
      ['bytes=-1000000', 0, 99_999],
    ];
    for (const [range, start, end] of cases) {
      const res = await app.request(url, { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${data.length}`, range);
      assert.equal(res.headers.get('content-length'), String(end - start + 1), range);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data.subarray(start, end + 1), range);
    }
  });

  it('GET with an unsatisfiable Range answers 416; ranges it does not handle get the whole', async () => {
    for (const range of ['bytes=100000-', 'bytes=200000-300000', 'bytes=-0']) {
      const res = await app.request(url, { headers: { range } });
      await expectProblem(res, 416);
      assert.equal(res.headers.get('content-range'), `bytes */${data.length}`);
    }
    for (const range of ['bytes=0-1,5-6', 'bytes=9-2', 'items=0-1', 'bytes=a-b']) {
      const res = await app.request(url, { headers: { range } });
      assert.equal(res.status, 200, range);
      assert.equal((await res.arrayBuffer()).byteLength, data.length, range);
    }
    // If-Range with another validator: the whole content.
    const stale = await app.request(url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
  });

  it('HEAD answers the headers only; If-None-Match answers 304', async () => {
    const head = await app.request(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal(head.headers.get('content-type'), 'image/png');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const ranged = await app.request(url, { method: 'HEAD', headers: { range: 'bytes=-10' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 99990-99999/${data.length}`);
    const cached = await app.request(url, { headers: { 'if-none-match': `W/"x", "${sha256(data)}"` } });
    assert.equal(cached.status, 304);
  });

  it('answers 404 for unknown and malformed ids, 405 for other methods', async () => {
    for (const path of [
      '0'.repeat(32),
      'not-an-id',
      '..%2F..%2Fetc%2Fpasswd',
      `${id}.json`,
      'A'.repeat(32),
    ]) {
      await expectProblem(await app.request(`/artifacts/${path}`), 404);
      assert.equal((await app.request(`/artifacts/${path}`, { method: 'HEAD' })).status, 404);
    }
    const deleted = await app.request(url, { method: 'DELETE' });
    await expectProblem(deleted, 405);
    assert.equal(deleted.headers.get('allow'), 'GET, HEAD');
    await expectProblem(await app.request('/artifacts'), 405);
  });

  it('keeps the declared Content-Type, defaults it, and refuses a malformed one', async () => {
    const typed = await upload('hello', { 'content-type': 'text/plain; charset=utf-8' });
    assert.equal(((await typed.json()) as { contentType: string }).contentType, 'text/plain; charset=utf-8');
    const untyped = await upload(new Uint8Array([1, 2, 3]));
    assert.equal(untyped.status, 201);
    const { contentType, size } = (await untyped.json()) as { contentType: string; size: number };
    assert.equal(size, 3);
    // fetch gives a bare byte body no type; the API stores it as bytes.
    assert.equal(contentType, 'application/octet-stream');
    const bad = await expectProblem(await upload('x', { 'content-type': 'not a type' }), 400);
    assert.deepEqual(bad.errors?.[0]?.header, 'content-type');
  });

  it('refuses a body past the limit with 413, declared or streamed, and keeps nothing', async () => {
    const before = (await storedFiles()).sort();
    const big = randomBytes(maxBytes + 1);
    const declared = await upload(big, { 'content-length': String(big.length) });
    const problem = await expectProblem(declared, 413);
    assert.equal(problem.type, 'urn:longrun:problem:payload-too-large');
    await expectProblem(await upload(streamOf(big)), 413);
    assert.deepEqual((await storedFiles()).sort(), before, 'nothing left behind');
    const exact = await upload(streamOf(big.subarray(0, maxBytes)));
    assert.equal(exact.status, 201);
  });

  it('documents the routes in OpenAPI, the upload as an optional body of any type', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { required?: boolean; content: Record<string, unknown> } }>
      >;
    };
    const post = doc.paths['/artifacts']?.post;
    // An absent body is an empty artifact, and any media type is stored as it is: no schema.
    assert.deepEqual(post?.requestBody, { required: false, content: { '*/*': {} } }, JSON.stringify(post));
    assert.ok(doc.paths['/artifacts/{id}']?.get);
    assert.ok(doc.paths['/artifacts/{id}']?.head);
  });

  it("refuses a start naming a missing artifact with 422 (the kind's check)", async () => {
    const check = (body: unknown) =>
      app.request('/processes', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const missing = await expectProblem(
      await check({ kind: 'encrypt', input: { artifactId: '0'.repeat(32) } }),
      422,
    );
    assert.equal(missing.type, 'urn:longrun:problem:unprocessable-input');
    assert.deepEqual(
      missing.errors?.map((e) => e.pointer),
      ['/input/artifactId'],
    );
    assert.equal(starts.length, 0, 'nothing started');
    assert.equal((await check({ kind: 'decrypt', input: { artifactId: id } })).status, 202);
    assert.equal((await check({ kind: 'delay', input: { seconds: 1 } })).status, 202);
    assert.deepEqual(
      starts.map((c) => c.kind),
      ['decrypt', 'delay'],
    );
  });
});

describe('parseRange', () => {
  it('reads single byte ranges and clamps them', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=3-', 10), { start: 3, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=8-20', 10), { start: 8, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-1', 0), 'unsatisfiable');
    for (const ignored of [
      undefined,
      '',
      'bytes=-',
      'bytes=5-4',
      'bytes=1-2,4-5',
      'lines=1-2',
      'bytes=1.5-2',
    ]) {
      assert.equal(parseRange(ignored, 10), undefined, String(ignored));
    }
  });
});
