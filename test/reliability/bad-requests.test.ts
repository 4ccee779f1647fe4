/**
 * A corpus of bad requests, sent byte for byte over a raw socket (no client library normalizes
 * paths or headers): every one must get a 4xx `application/problem+json` answer, none a 5xx, and
 * no workflow may start.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { eventually } from '../../scripts/launcher.js';
import { problemIssues } from '../support/problem.js';
import { useStack, type TestStack } from '../support/stack.js';
import { authCorpus } from './bad-auth-requests.js';

// No worker: nothing should ever start, and a control process may stay queued.
let stack: TestStack;
useStack({ workers: 0 }, (started) => {
  stack = started;
});

interface BadRequest {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with chunked transfer coding (no Content-Length). */
  chunked?: boolean;
  /** The exact status expected, when one is obviously right; any 4xx otherwise. */
  status?: number;
  /** Header lines sent as they are, after `headers` (e.g. a header repeated, or raw bytes). */
  rawHeaders?: (string | Buffer)[];
  /**
   * Send no credentials. Otherwise the stack's key goes along, unless the request names its own
   * Authorization: the corpus tests what comes after authentication too.
   */
  anonymous?: boolean;
}

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One HTTP/1.1 exchange over a fresh socket; the server closes it after answering. */
function exchange(port: number, request: BadRequest): Promise<RawAnswer> {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const lines: (string | Buffer)[] = [
    `${request.method} ${request.path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
  ];
  const names = [
    ...Object.keys(request.headers ?? {}),
    ...(request.rawHeaders ?? []).map((line) => line.toString('latin1').split(':')[0]!),
  ];
  if (!request.anonymous && !names.some((name) => name.toLowerCase() === 'authorization'))
    lines.push(`Authorization: Bearer ${stack.apiKey}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push(...(request.rawHeaders ?? []));
  if (body && request.chunked) lines.push('Transfer-Encoding: chunked');
  else if (body) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.concat([
    ...lines.flatMap((line) => [typeof line === 'string' ? Buffer.from(line, 'latin1') : line, crlf]),
    crlf,
  ]);
  const payload =
    body && request.chunked
      ? Buffer.concat([...chunks(body).map(chunkOf), Buffer.from('0\r\n\r\n')])
      : (body ?? Buffer.alloc(0));

  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const finish = (): void => {
      clearTimeout(timer);
      const raw = Buffer.concat(received);
      const parsed = parseResponse(raw);
      if (parsed) resolve(parsed);
      else
        reject(
          new Error(
            `no HTTP answer (${raw.length} bytes: ${JSON.stringify(raw.toString('latin1', 0, 200))})`,
          ),
        );
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 30 s'));
    }, 30_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // The server may answer (413) and close before reading a large body: keep what it said.
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    socket.write(Buffer.concat([head, payload]));
  });
}

const crlf = Buffer.from('\r\n');

function chunks(body: Buffer, size = 64 * 1024): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
  return parts;
}

function chunkOf(part: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
}

function parseResponse(raw: Buffer): RawAnswer | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, Math.max(end, 0)).toString('latin1');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (end < 0 || !match) return undefined;
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(end + 4);
  if (headers.get('transfer-encoding') === 'chunked') body = dechunk(body);
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (eol < 0 || !(size > 0)) return Buffer.concat(parts);
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const json = { 'Content-Type': 'application/json' };
const valid = '{"kind":"delay","input":{"seconds":1}}';
const postJson = (name: string, body: string | Buffer, status?: number): BadRequest => ({
  name,
  method: 'POST',
  path: '/processes',
  headers: json,
  body,
  ...(status !== undefined && { status }),
});
const get = (name: string, path: string, status?: number, headers?: Record<string, string>): BadRequest => ({
  name,
  method: 'GET',
  path,
  ...(headers && { headers }),
  ...(status !== undefined && { status }),
});

const unknownId = randomUUID();
const nested = (depth: number, open: string, close: string, leaf = '1'): string =>
  open.repeat(depth) + leaf + close.repeat(depth);
const manyKeys = `{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
const oneMiB = 1024 * 1024;
const cursorForAnotherQuery = Buffer.from(JSON.stringify({ q: 'x', t: 'AAAA' })).toString('base64url');

const corpus: BadRequest[] = [
  // Malformed JSON
  postJson('truncated JSON', '{"kind": "delay", ', 400),
  postJson('trailing comma', '{"kind":"delay","input":{"seconds":1},}', 400),
  postJson('single quotes', "{'kind':'delay','input':{'seconds':1}}", 400),
  postJson('bare word', 'nul', 400),
  postJson('empty body', '', 400),
  postJson('two documents', `${valid} {}`, 400),
  postJson('NaN', '{"kind":"delay","input":{"seconds":NaN}}', 400),
  postJson('comment', '{"kind":"delay", /* hi */ "input":{"seconds":1}}', 400),
  postJson(
    'invalid UTF-8 in a string',
    Buffer.from('{"kind":"delay","input":{"seconds":1,"x":"\xff\xfe"}}', 'latin1'),
  ),
  {
    name: 'gzip body without a supported content coding',
    method: 'POST',
    path: '/processes',
    headers: { ...json, 'Content-Encoding': 'gzip' },
    body: gzipSync(valid),
  },
  // Wrong types and values
  postJson('seconds as a string', '{"kind":"delay","input":{"seconds":"5"}}', 400),
  postJson('negative seconds', '{"kind":"delay","input":{"seconds":-1}}', 400),
  postJson('zero seconds', '{"kind":"delay","input":{"seconds":0}}', 400),
  postJson('too many seconds', '{"kind":"delay","input":{"seconds":3601}}', 400),
  postJson('infinite seconds (1e400)', '{"kind":"delay","input":{"seconds":1e400}}', 400),
  postJson('seconds as a boolean', '{"kind":"delay","input":{"seconds":true}}', 400),
  postJson('seconds as an operator object', '{"kind":"delay","input":{"seconds":{"$gt":0}}}', 400),
  postJson('fractional steps', '{"kind":"delay","input":{"seconds":1,"steps":1.5}}', 400),
  postJson('zero steps', '{"kind":"delay","input":{"seconds":1,"steps":0}}', 400),
  postJson('too many steps', '{"kind":"delay","input":{"seconds":1,"steps":1001}}', 400),
  postJson('fail as a string', '{"kind":"delay","input":{"seconds":1,"fail":"yes"}}', 400),
  postJson('too many failAttempts', '{"kind":"delay","input":{"seconds":1,"failAttempts":21}}', 400),
  postJson('null input', '{"kind":"delay","input":null}', 400),
  postJson('array input', '{"kind":"delay","input":[]}', 400),
  postJson('string input', '{"kind":"delay","input":"1"}', 400),
  postJson('numeric kind', '{"kind":5,"input":{"seconds":1}}', 400),
  postJson('missing kind', '{"input":{"seconds":1}}', 400),
  postJson('kind in upper case', '{"kind":"DELAY","input":{"seconds":1}}', 400),
  postJson('unknown top-level field', '{"kind":"delay","input":{"seconds":1},"priority":1}', 400),
  postJson('array body', '[]', 400),
  postJson('string body', '"delay"', 400),
  postJson('null body', 'null', 400),
  postJson('number body', '42', 400),
  // Huge and deeply nested bodies
  postJson(
    'body one byte over 1 MiB',
    `{"kind":"delay","input":{"seconds":1},"pad":"${'x'.repeat(oneMiB)}"}`,
    413,
  ),
  { ...postJson('3 MiB chunked body', `{"pad":"${'x'.repeat(3 * oneMiB)}"}`, 413), chunked: true },
  postJson('100,000 nested arrays', `{"kind":"delay","input":{"seconds":${nested(100_000, '[', ']')}}}`),
  postJson(
    '50,000 nested objects',
    `{"kind":"delay","input":{"seconds":1},"x":${nested(50_000, '{"a":', '}')}}`,
  ),
  postJson('500,000-character kind', `{"kind":"${'k'.repeat(500_000)}","input":{"seconds":1}}`, 400),
  postJson('10,000 unknown input fields', `{"kind":"delay","input":${manyKeys}}`, 400),
  postJson('200,000-element array', `{"kind":"delay","input":{"seconds":[${'1,'.repeat(199_999)}1]}}`, 400),
  // Prototype pollution
  postJson('__proto__ at the top', `{"kind":"delay","input":{"seconds":1},"__proto__":{"polluted":1}}`, 400),
  postJson('__proto__ in input', '{"kind":"delay","input":{"seconds":1,"__proto__":{"polluted":1}}}', 400),
  postJson('kind inherited through __proto__', `{"__proto__":${valid}}`, 400),
  postJson(
    'seconds inherited through __proto__',
    '{"kind":"delay","input":{"__proto__":{"seconds":1}}}',
    400,
  ),
  postJson(
    'constructor.prototype in input',
    '{"kind":"delay","input":{"seconds":1,"constructor":{"prototype":{"polluted":1}}}}',
    400,
  ),
  postJson('kind __proto__', '{"kind":"__proto__","input":{"seconds":1}}', 400),
  postJson('kind constructor', '{"kind":"constructor","input":{"seconds":1}}', 400),
  postJson('kind toString', '{"kind":"toString","input":{"seconds":1}}', 400),
  // Odd path segments
  get('dot-dot and encoded slash', '/processes/..%2F', 404),
  get('encoded NUL', '/processes/%00', 404),
  get('very long id', `/processes/${'a'.repeat(8000)}`, 404),
  get('unicode id', '/processes/%E2%9C%93', 404),
  get('emoji id', '/processes/%F0%9F%92%A5', 404),
  get('invalid percent-encoding', '/processes/%ZZ', 404),
  get('truncated UTF-8 percent-encoding', '/processes/%E0%A4%A', 404),
  get('traversal', '/processes/%2e%2e/%2e%2e/etc/passwd', 404),
  get('path parameter', '/processes;jsessionid=1', 404),
  get('encoded space', '/processes/%20', 404),
  get('SQL in the id', `/processes/${encodeURIComponent("' OR '1'='1")}`, 404),
  get('UUID then NUL', `/processes/${unknownId}%00`, 404),
  get('upper-case UUID', `/processes/${unknownId.toUpperCase()}`, 404),
  get('unknown UUID', `/processes/${unknownId}`, 404),
  get('segment after cancel', `/processes/${unknownId}/cancel/extra`, 404),
  get('wrong case of the collection', '/Processes', 404),
  { name: 'cancel an unknown process', method: 'POST', path: `/processes/${unknownId}/cancel`, status: 404 },
  // Wrong methods
  { name: 'PUT the collection', method: 'PUT', path: '/processes', headers: json, body: valid, status: 405 },
  { name: 'DELETE the collection', method: 'DELETE', path: '/processes', status: 405 },
  {
    name: 'PATCH a process',
    method: 'PATCH',
    path: `/processes/${unknownId}`,
    headers: json,
    body: '{}',
    status: 405,
  },
  { name: 'DELETE a process', method: 'DELETE', path: `/processes/${unknownId}`, status: 405 },
  {
    name: 'POST to a process',
    method: 'POST',
    path: `/processes/${unknownId}`,
    headers: json,
    body: valid,
    status: 405,
  },
  { name: 'GET cancel', method: 'GET', path: `/processes/${unknownId}/cancel`, status: 405 },
  { name: 'PUT cancel', method: 'PUT', path: `/processes/${unknownId}/cancel`, status: 405 },
  { name: 'OPTIONS the collection', method: 'OPTIONS', path: '/processes', status: 405 },
  { name: 'TRACE the collection', method: 'TRACE', path: '/processes', status: 405 },
  // Wrong content types
  ...[
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
  ].map((type): BadRequest => ({
    name: `valid JSON sent as ${type}`,
    method: 'POST',
    path: '/processes',
    headers: { 'Content-Type': type },
    body: valid,
    status: 415,
  })),
  { name: 'no content type', method: 'POST', path: '/processes', body: valid, status: 415 },
  // Bad query filters
  get('unknown status', '/processes?status=bogus', 400),
  get('zero limit', '/processes?limit=0', 400),
  get('limit over the maximum', '/processes?limit=101', 400),
  get('negative limit', '/processes?limit=-1', 400),
  get('fractional limit', '/processes?limit=1.5', 400),
  get('limit not a number', '/processes?limit=abc', 400),
  get('createdAfter not a date', '/processes?createdAfter=yesterday', 400),
  get('createdBefore not a date', '/processes?createdBefore=2024-13-45', 400),
  get('unknown kind', '/processes?kind=nope', 400),
  get(
    'kind with a quote (visibility query injection)',
    `/processes?kind=${encodeURIComponent("delay' OR '1'='1")}`,
    400,
  ),
  get(
    'createdAfter with a quote (visibility query injection)',
    `/processes?createdAfter=${encodeURIComponent("2024-01-01T00:00:00Z' OR 1=1")}`,
    400,
  ),
  get('garbage cursor', '/processes?cursor=garbage', 422),
  get('empty cursor', '/processes?cursor=', 400),
  get('cursor of another query', `/processes?cursor=${cursorForAnotherQuery}`, 422),
  get('5,000-character cursor', `/processes?cursor=${'a'.repeat(5000)}`, 400),
  get('unknown parameter', '/processes?foo=bar', 400),
  get('repeated status', '/processes?status=running&status=queued', 400),
  // Bad headers (several with a valid body: the header alone must stop the start)
  ...[
    ['with a space', 'a b'],
    ['of 256 characters', 'k'.repeat(256)],
    ['empty', ''],
    ['with a Latin-1 byte', 'caf\xe9'],
  ].map(([what, key]): BadRequest => ({
    name: `Idempotency-Key ${what}`,
    method: 'POST',
    path: '/processes',
    headers: { ...json, 'Idempotency-Key': key! },
    body: valid,
    status: 400,
  })),
  {
    name: 'Prefer over 1,000 characters',
    method: 'POST',
    path: '/processes',
    headers: { ...json, Prefer: `wait=${'9'.repeat(2000)}` },
    body: valid,
    status: 400,
  },
  get('Prefer: wait=abc on an unknown process', `/processes/${unknownId}`, 404, { Prefer: 'wait=abc' }),
  get('Prefer: wait=-1 on an unknown process', `/processes/${unknownId}`, 404, { Prefer: 'wait=-1' }),
  {
    name: 'Prefer: wait=abc with an invalid body',
    method: 'POST',
    path: '/processes',
    headers: { ...json, Prefer: 'wait=abc' },
    body: '{"kind":"delay","input":{"seconds":"x"}}',
    status: 400,
  },
  {
    name: 'huge Prefer: wait with an invalid body',
    method: 'POST',
    path: '/processes',
    headers: { ...json, Prefer: 'wait=99999999999999999999999' },
    body: '{"kind":"delay"}',
    status: 400,
  },
  ...authCorpus(() => stack.apiKey),
];

describe('bad requests', () => {
  it(
    `${corpus.length} bad requests: each a 4xx problem+json, and no workflow started`,
    { timeout: 180_000 },
    async () => {
      assert.ok(corpus.length >= 50, `a corpus of at least 50 (${corpus.length})`);
      const before = await stack.count();
      const failures: string[] = [];
      for (const request of corpus) {
        let answer: RawAnswer;
        try {
          answer = await exchange(stack.api.port, request);
        } catch (err) {
          failures.push(`${request.name}: ${(err as Error).message}`);
          continue;
        }
        // Any 4xx where no one status is obviously right; never a 5xx.
        const wrong = problemIssues(
          {
            status: answer.status,
            contentType: answer.headers.get('content-type'),
            body: parseJson(answer.body),
          },
          request.status,
        );
        if (answer.status >= 500) wrong.unshift(`a ${answer.status}`);
        if (wrong.length > 0) failures.push(`${request.name}: ${wrong.join('; ')}`);
      }
      assert.deepEqual(failures, [], `${failures.length} of ${corpus.length} answered badly`);
      assert.ok(stack.api.alive(), 'the API survived the corpus');

      // Visibility lags a little: wait, count, then prove the count would have seen a start.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(await stack.count(), before, 'no workflow started');
      const control = await exchange(stack.api.port, postJson('control', valid));
      assert.equal(control.status, 202, 'a valid request still starts a process');
      const after = await eventually(
        () => stack.count(),
        (n) => n !== before,
        { timeoutMs: 10_000, intervalMs: 200, what: 'visibility to count the control process' },
      );
      assert.equal(after, before + 1, 'visibility counts the control process');
    },
  );
});

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
