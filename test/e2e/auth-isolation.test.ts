/**
 * Identity and tenants end to end (HTTP → API process → worker → Temporal dev server), with two
 * tenants and keys of different scopes: every operation without a key, with a bad key and with
 * a key that lacks its scope; another tenant's processes and artifacts as absent as unknown ones
 * (404, never 403, absent from lists, refused as an unknown artifactId); idempotency keys per
 * tenant; the tenant recorded on the workflow as `LongrunTenant`.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../scripts/launcher.js';
import { scopes, type Scope } from '../../src/contract/scopes.js';
import type { ProcessPage } from '../../src/contract/resources.js';
import { workflowIdOf } from '../../src/gateway/ids.js';
import { tenantSearchAttribute } from '../../src/shared/search-attributes.js';
import { jsonRequest, requestJson, startProcess } from '../support/api-client.js';
import { expectProblem } from '../support/problem.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
/** Tenant A is the stack's default tenant (`e2e`, the client's default key); tenant B is `other`. */
let keyB: string;
/** Keys of tenant A with every scope but one. */
const without = new Map<Scope, string>();
let processA: string;
let processB: string;
let artifactA: string;

async function upload(apiKey: string): Promise<string> {
  const answer = await requestJson<{ id: string }>(`${stack.api.url}/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: randomBytes(1024),
    apiKey,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.id;
}

/** Until the API has reloaded the keys file: the key is accepted. */
async function untilAccepted(apiKey: string): Promise<void> {
  await eventually(
    () => fetch(`${stack.api.url}/processes?limit=1`, { headers: { authorization: `Bearer ${apiKey}` } }),
    (res) => res.status !== 401,
    { timeoutMs: 10_000, intervalMs: 100, what: 'the API to load a new key' },
  );
}

before(async () => {
  stack = await startStack();
  keyB = await stack.createKey({ tenant: 'other' });
  for (const scope of scopes)
    without.set(
      scope,
      await stack.createKey({ tenant: stack.tenant, scopes: scopes.filter((s) => s !== scope) }),
    );
  for (const key of [keyB, ...without.values()]) await untilAccepted(key);
  const long = { kind: 'delay', input: { seconds: 600, steps: 600 } };
  processA = (await startProcess(stack.api.url, long)).body.id;
  processB = (await requestJson(`${stack.api.url}/processes`, { ...jsonRequest(long), apiKey: keyB })).body
    .id;
  artifactA = await upload(stack.apiKey);
});
after(async () => {
  await stack?.stop();
});

interface Operation {
  name: string;
  scope: Scope;
  path: () => string;
  init: () => RequestInit;
}

const operations: Operation[] = [
  {
    name: 'POST /processes',
    scope: 'processes:write',
    path: () => '/processes',
    init: () => jsonRequest({ kind: 'delay', input: { seconds: 1 } }),
  },
  { name: 'GET /processes', scope: 'processes:read', path: () => '/processes', init: () => ({}) },
  {
    name: 'GET /processes/{id}',
    scope: 'processes:read',
    path: () => `/processes/${processA}`,
    init: () => ({}),
  },
  {
    name: 'GET /processes/{id} (Prefer: wait)',
    scope: 'processes:read',
    path: () => `/processes/${processA}`,
    init: () => ({ headers: { prefer: 'wait=1' } }),
  },
  {
    name: 'GET /processes/{id}/events',
    scope: 'processes:read',
    path: () => `/processes/${processA}/events`,
    init: () => ({}),
  },
  {
    name: 'POST /processes/{id}/cancel',
    scope: 'processes:write',
    path: () => `/processes/${processA}/cancel`,
    init: () => ({ method: 'POST' }),
  },
  {
    name: 'POST /processes/{id}/access-tokens',
    scope: 'processes:read',
    path: () => `/processes/${processA}/access-tokens`,
    init: () => ({ method: 'POST' }),
  },
  {
    name: 'POST /artifacts',
    scope: 'artifacts:write',
    path: () => '/artifacts',
    init: () => ({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' }),
  },
  {
    name: 'GET /artifacts/{id}',
    scope: 'artifacts:read',
    path: () => `/artifacts/${artifactA}`,
    init: () => ({}),
  },
  {
    name: 'HEAD /artifacts/{id}',
    scope: 'artifacts:read',
    path: () => `/artifacts/${artifactA}`,
    init: () => ({ method: 'HEAD' }),
  },
];

/** Send `op` with `authorization` (or none); the answer's status, challenge and problem body. */
async function send(op: Operation, authorization: string | undefined, path = op.path()) {
  const init = op.init();
  const headers = new Headers(init.headers);
  if (authorization !== undefined) headers.set('authorization', authorization);
  const res = await fetch(`${stack.api.url}${path}`, {
    ...init,
    headers,
    signal: AbortSignal.timeout(30_000),
  });
  return res;
}

async function expectRefusal(res: Response, status: number, name: string, error?: string): Promise<void> {
  const challenge = res.headers.get('www-authenticate') ?? '';
  if (status !== 404) assert.match(challenge, /^Bearer realm="longrun"/, `${name}: WWW-Authenticate`);
  if (error) assert.match(challenge, new RegExp(`error="${error}"`), `${name}: ${challenge}`);
  if (res.status === status && (res.headers.get('content-length') === '0' || name.startsWith('HEAD'))) {
    await res.arrayBuffer();
    return;
  }
  await expectProblem(res, status, name);
}

describe('authentication and scopes', () => {
  it('every operation: no key → 401 with WWW-Authenticate: Bearer; a bad key → 401 invalid_token', async () => {
    for (const op of operations) {
      await expectRefusal(await send(op, undefined), 401, `${op.name} without a key`);
      await expectRefusal(
        await send(op, `Bearer lrk_${randomBytes(24).toString('base64url')}`),
        401,
        `${op.name} with an unknown key`,
        'invalid_token',
      );
      await expectRefusal(
        await send(op, 'Bearer not a key'),
        401,
        `${op.name} with a malformed key`,
        'invalid_token',
      );
    }
    // Public paths need none.
    for (const path of ['/healthz', '/openapi.json', '/docs']) {
      const res = await fetch(`${stack.api.url}${path}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, path);
    }
  });

  it('every operation: a key of the tenant without its scope → 403 insufficient_scope naming it', async () => {
    for (const op of operations) {
      const res = await send(op, `Bearer ${without.get(op.scope)!}`);
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`scope="${op.scope}"`), op.name);
      await expectRefusal(res, 403, `${op.name} without ${op.scope}`, 'insufficient_scope');
    }
    // Nothing was done: the process still runs.
    const still = await requestJson(`${stack.api.url}/processes/${processA}`);
    assert.equal(still.body.cancelRequested ?? false, false);
  });
});

describe('tenant isolation', () => {
  it("another tenant's process or artifact is 404 everywhere, exactly as an unknown one", async () => {
    const unknownProcess = randomUUID();
    const unknownArtifact = randomBytes(16).toString('hex');
    for (const op of operations.filter((o) => o.path().includes(processA) || o.path().includes(artifactA))) {
      const theirs = await send(op, `Bearer ${keyB}`);
      const unknownPath = op.path().replace(processA, unknownProcess).replace(artifactA, unknownArtifact);
      const unknown = await send(op, `Bearer ${keyB}`, unknownPath);
      assert.equal(theirs.status, 404, `${op.name} of another tenant`);
      assert.equal(unknown.status, 404, `${op.name} unknown`);
      if (!op.name.startsWith('HEAD')) {
        const [a, b] = [
          await expectProblem(theirs, 404, op.name),
          await expectProblem(unknown, 404, op.name),
        ];
        assert.equal(a.type, b.type, op.name);
        assert.equal(a.title, b.title, op.name);
        assert.equal(
          a.detail?.replace(processA, '?').replace(artifactA, '?'),
          b.detail?.replace(unknownProcess, '?').replace(unknownArtifact, '?'),
        );
      } else {
        await theirs.arrayBuffer();
        await unknown.arrayBuffer();
      }
    }
    // B's cancel did nothing to A's process.
    const still = await requestJson(`${stack.api.url}/processes/${processA}`);
    assert.equal(still.status, 202);
    assert.equal(still.body.cancelRequested ?? false, false);
  });

  it("lists hold the tenant's own processes only; the workflow carries LongrunTenant", async () => {
    const idsOf = async (apiKey: string) =>
      (await requestJson<ProcessPage>(`${stack.api.url}/processes?limit=100`, { apiKey })).body.items.map(
        (p) => p.id,
      );
    const [ofA, ofB] = await eventually(
      () => Promise.all([idsOf(stack.apiKey), idsOf(keyB)]),
      ([a, b]) => a.includes(processA) && b.includes(processB),
      { timeoutMs: 10_000, intervalMs: 200, what: 'visibility to list both processes' },
    );
    assert.ok(!ofA.includes(processB), "A's list lacks B's process");
    assert.ok(!ofB.includes(processA), "B's list lacks A's process");
    const described = await stack.client.workflow.getHandle(workflowIdOf(processB)).describe();
    assert.equal(described.typedSearchAttributes.get(tenantSearchAttribute), 'other');
    assert.equal(
      await stack.count(`LongrunTenant = 'other' AND WorkflowId = '${workflowIdOf(processA)}'`),
      0,
    );
  });

  it('an Idempotency-Key is per tenant: the same key from two tenants makes two processes', async () => {
    const key = `order-${randomUUID()}`;
    const body = { kind: 'delay', input: { seconds: 0.2, steps: 1 } };
    const start = (apiKey: string) =>
      requestJson(`${stack.api.url}/processes`, { ...jsonRequest(body, { 'idempotency-key': key }), apiKey });
    const a1 = await start(stack.apiKey);
    const b1 = await start(keyB);
    const a2 = await start(stack.apiKey);
    const b2 = await start(keyB);
    assert.deepEqual([a1.status, b1.status], [202, 202]);
    assert.notEqual(a1.body.id, b1.body.id, 'two tenants, two processes');
    assert.equal(a2.body.id, a1.body.id, "A's repeat is A's process");
    assert.equal(b2.body.id, b1.body.id, "B's repeat is B's process");
    assert.equal(
      (await requestJson(`${stack.api.url}/processes/${b1.body.id}`)).status,
      404,
      "A cannot read B's",
    );
  });

  it("another tenant's artifactId is refused exactly as an unknown one, and starts nothing", async () => {
    const startWith = (artifactId: string, apiKey: string) =>
      requestJson(`${stack.api.url}/processes`, {
        ...jsonRequest({ kind: 'encrypt', input: { artifactId } }),
        apiKey,
      });
    const before = await stack.count("LongrunTenant = 'other'");
    const unknown = randomBytes(16).toString('hex');
    const theirs = await startWith(artifactA, keyB);
    const missing = await startWith(unknown, keyB);
    const [a, b] = [
      await expectProblem(theirs, missing.status),
      await expectProblem(missing, missing.status),
    ];
    assert.ok(
      missing.status >= 400 && missing.status < 500,
      `an unknown artifact is a 4xx (${missing.status})`,
    );
    assert.equal(a.type, b.type);
    assert.equal(a.detail?.replace(artifactA, '?'), b.detail?.replace(unknown, '?'));
    // The owner may use it (so the refusal above is the tenant check, not a bad id).
    assert.equal((await startWith(artifactA, stack.apiKey)).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await stack.count("LongrunTenant = 'other'"), before, 'B started nothing');
  });
});
