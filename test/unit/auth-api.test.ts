/**
 * Authentication and authorization of the HTTP API, through `app.request()` over a gateway that
 * keeps tenants apart as the real one does: which requests need which credentials, and what
 * every refusal looks like (problem+json, `WWW-Authenticate`, rate-limit fields).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { signAccessToken } from '../../src/auth/access-tokens.js';
import { revokeApiKey } from '../../src/auth/key-admin.js';
import { KeyStore } from '../../src/auth/key-store.js';
import { noArtifacts } from '../support/no-artifacts.js';
import { ProblemType } from '../../src/contract/problem-types.js';
import type { ProcessGateway, ProcessSnapshot } from '../../src/gateway/port.js';
import { initialState, type ProcessState } from '../../src/shared/process-state.js';
import { jsonRequest } from '../support/api-client.js';
import { scopesExcept, testKeys, withBearer } from '../support/auth.js';
import { expectProblem } from '../support/problem.js';

const processOfT1 = '11111111-1111-4111-8111-111111111111';
const processOfT2 = '22222222-2222-4222-8222-222222222222';

/** Processes with owners; another tenant's process is absent, as in the real gateway. */
function tenantGateway(): ProcessGateway {
  const owned = new Map<string, { tenant: string; state: ProcessState }>([
    [
      processOfT1,
      { tenant: 't1', state: initialState(processOfT1, 'r1', 'delay', new Date().toISOString()) },
    ],
    [
      processOfT2,
      { tenant: 't2', state: initialState(processOfT2, 'r2', 'delay', new Date().toISOString()) },
    ],
  ]);
  const snapshot = (tenant: string, id: string): ProcessSnapshot | undefined => {
    const found = owned.get(id);
    return found?.tenant === tenant
      ? { state: found.state, revision: 1, uiUrl: 'http://ui.test/x' }
      : undefined;
  };
  return {
    start: (tenant, command) => {
      const state = initialState(`${tenant}-new`, 'r', command.kind, new Date().toISOString());
      return Promise.resolve({ state, revision: 1, uiUrl: 'http://ui.test/x' });
    },
    get: (tenant, id) => Promise.resolve(snapshot(tenant, id)),
    waitForEnd: (tenant, id) => Promise.resolve(snapshot(tenant, id)),
    cancel: (tenant, id) => {
      const found = snapshot(tenant, id);
      return Promise.resolve(found && { outcome: 'requested', snapshot: found });
    },
    list: () => Promise.resolve({ items: [] }),
    watch: (tenant, id, listener) => {
      listener(
        snapshot(tenant, id) && {
          ...snapshot(tenant, id)!,
          state: { ...owned.get(id)!.state, status: 'succeeded' },
        },
      );
      return () => {};
    },
    ready: () => Promise.resolve([{ name: 'temporal', ok: true }]),
  };
}

function setup() {
  const keys = testKeys();
  const readOnly = keys.add({ tenant: 't1', scopes: ['processes:read'] });
  const noProcessRead = keys.add({ tenant: 't1', scopes: scopesExcept('processes:read') });
  const limited = keys.add({ tenant: 't1', rate: { limit: 2, windowSeconds: 60 } });
  const otherTenant = keys.add({ tenant: 't2' });
  const app = createApp({
    gateway: tenantGateway(),
    maxBodyBytes: 1024,
    retryAfterSeconds: 1,
    artifacts: { store: noArtifacts, maxBytes: 1024 },
    logError: (err) => assert.fail(`unexpected error: ${String(err)}`),
    auth: { keys: keys.keys, accessTokenSecrets: keys.accessTokenSecrets },
  });
  const as = (secret: string | undefined, init: RequestInit = {}) =>
    secret === undefined ? init : withBearer(init, secret);
  return { app, keys, readOnly, noProcessRead, limited, otherTenant, as, all: keys.defaultKey };
}

/** Every operation and a request that would otherwise succeed. */
const operations: { name: string; scope: string; path: string; init: () => RequestInit }[] = [
  {
    name: 'POST /processes',
    scope: 'processes:write',
    path: '/processes',
    init: () => jsonRequest({ kind: 'delay', input: { seconds: 1 } }),
  },
  { name: 'GET /processes', scope: 'processes:read', path: '/processes', init: () => ({}) },
  {
    name: 'GET /processes/{id}',
    scope: 'processes:read',
    path: `/processes/${processOfT1}`,
    init: () => ({}),
  },
  {
    name: 'GET /processes/{id}/events',
    scope: 'processes:read',
    path: `/processes/${processOfT1}/events`,
    init: () => ({}),
  },
  {
    name: 'POST /processes/{id}/cancel',
    scope: 'processes:write',
    path: `/processes/${processOfT1}/cancel`,
    init: () => ({ method: 'POST' }),
  },
  {
    name: 'POST /processes/{id}/access-tokens',
    scope: 'processes:read',
    path: `/processes/${processOfT1}/access-tokens`,
    init: () => ({ method: 'POST' }),
  },
  {
    name: 'POST /artifacts',
    scope: 'artifacts:write',
    path: '/artifacts',
    init: () => ({ method: 'POST', body: 'x' }),
  },
  {
    name: 'GET /artifacts/{id}',
    scope: 'artifacts:read',
    path: `/artifacts/${'0'.repeat(32)}`,
    init: () => ({}),
  },
  {
    name: 'HEAD /artifacts/{id}',
    scope: 'artifacts:read',
    path: `/artifacts/${'0'.repeat(32)}`,
    init: () => ({ method: 'HEAD' }),
  },
];

describe('API authentication', () => {
  it('leaves /healthz, /openapi.json and /docs open', async () => {
    const { app } = setup();
    for (const path of ['/healthz', '/openapi.json', '/docs']) {
      assert.equal((await app.request(path)).status, 200, path);
    }
  });

  it('answers 401 problem+json with WWW-Authenticate: Bearer to every operation without a key', async () => {
    const { app } = setup();
    for (const op of operations) {
      const res = await app.request(op.path, op.init());
      assert.equal(res.status, 401, op.name);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="longrun"', op.name);
      if (op.init().method !== 'HEAD') {
        const problem = await expectProblem(res, 401, op.name);
        assert.equal(problem.type, ProblemType.Unauthenticated);
      }
    }
    // Paths that are no operation too: nothing is told to whoever has no key.
    await expectProblem(await app.request('/no/such/thing'), 401);
  });

  it('answers 401 invalid_token for an unknown key, a malformed one, another scheme, or a key in the URL', async () => {
    const { app, as, all } = setup();
    const cases: [string, RequestInit | string][] = [
      ['unknown key', as('lrk_' + 'x'.repeat(43))],
      ['malformed key', as('not a key')],
      ['key in the URL', `/processes?access_token=${all}`],
    ];
    for (const [what, init] of cases) {
      const res = typeof init === 'string' ? await app.request(init) : await app.request('/processes', init);
      const problem = await expectProblem(res, 401, what);
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer realm="longrun", error="invalid_token"/,
        what,
      );
      assert.ok(problem.detail, what);
    }
    const basic = await app.request('/processes', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    await expectProblem(basic, 401);
    assert.equal(basic.headers.get('www-authenticate'), 'Bearer realm="longrun"');
  });

  it('answers 400 invalid_request to credentials sent twice or two ways', async () => {
    const { app, all } = setup();
    const twice = await app.request('/processes', {
      headers: [
        ['authorization', `Bearer ${all}`],
        ['authorization', `Bearer ${all}`],
      ],
    });
    // fetch's Headers join repeated values as a server receives them.
    await expectProblem(twice, 400);
    assert.match(twice.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
    await expectProblem(await app.request(`/processes?access_token=lrt_a.b`, withBearer({}, all)), 400);
  });

  it('answers 403 insufficient_scope, naming the scope, to a key without it', async () => {
    const { app, as, readOnly, noProcessRead } = setup();
    for (const op of operations) {
      // The read-only key lacks every scope but processes:read; the other lacks that one.
      const secret = op.scope === 'processes:read' ? noProcessRead : readOnly;
      const res = await app.request(op.path, as(secret, op.init()));
      assert.equal(res.status, 403, op.name);
      assert.equal(
        res.headers.get('www-authenticate'),
        `Bearer realm="longrun", error="insufficient_scope", error_description="This API key lacks the ${op.scope} scope.", scope="${op.scope}"`,
        op.name,
      );
    }
    // And the read-only key reads.
    assert.equal((await app.request(`/processes/${processOfT1}`, as(readOnly))).status, 202);
  });

  it("answers 404 for another tenant's process, never 403", async () => {
    const { app, as, otherTenant, all } = setup();
    assert.equal((await app.request(`/processes/${processOfT1}`, as(all))).status, 202);
    for (const op of operations.filter((o) => o.path.includes(processOfT1))) {
      await expectProblem(await app.request(op.path, as(otherTenant, op.init())), 404, op.name);
    }
  });
});

describe('browser tokens', () => {
  async function tokenFor(
    app: ReturnType<typeof setup>['app'],
    secret: string,
    id = processOfT1,
    body?: unknown,
  ) {
    const res = await app.request(
      `/processes/${id}/access-tokens`,
      withBearer(body === undefined ? { method: 'POST' } : jsonRequest(body), secret),
    );
    return { res, body: (await res.json()) as { token: string; expiresAt: string } };
  }

  it('are issued for 15 minutes by default, up to 24 h on request, never beyond', async () => {
    const { app, all } = setup();
    const { res, body } = await tokenFor(app, all);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const lasts = Date.parse(body.expiresAt) - Date.now();
    assert.ok(lasts > 14 * 60_000 && lasts <= 15 * 60_000, `${lasts} ms`);
    const day = await tokenFor(app, all, processOfT1, { ttlSeconds: 86_400 });
    assert.equal(day.res.status, 201);
    for (const ttlSeconds of [0, 86_401, 1.5, 'x']) {
      const refused = await app.request(
        `/processes/${processOfT1}/access-tokens`,
        withBearer(jsonRequest({ ttlSeconds }), all),
      );
      await expectProblem(refused, 400, String(ttlSeconds));
    }
  });

  it('read their process, as a header or a query parameter, and nothing else', async () => {
    const { app, all } = setup();
    const { token } = (await tokenFor(app, all)).body;
    assert.equal((await app.request(`/processes/${processOfT1}`, withBearer({}, token))).status, 202);
    assert.equal((await app.request(`/processes/${processOfT1}?access_token=${token}`)).status, 202);
    const events = await app.request(`/processes/${processOfT1}/events?access_token=${token}`);
    assert.equal(events.status, 200);
    assert.match(await events.text(), /event: status/);
    // Another process: invalid; another operation: not its scope.
    const other = await app.request(`/processes/${processOfT2}`, withBearer({}, token));
    await expectProblem(other, 401);
    assert.match(other.headers.get('www-authenticate') ?? '', /invalid_token/);
    for (const [path, init] of [
      [`/processes/${processOfT1}/cancel`, { method: 'POST' }],
      ['/processes', {}],
      [`/processes/${processOfT1}/access-tokens`, { method: 'POST' }],
    ] as const) {
      await expectProblem(await app.request(path, withBearer(init, token)), 403, path);
    }
  });

  it('are refused when expired, tampered with, or their key is revoked', async () => {
    const { app, keys, all } = setup();
    const keyId = keys.keys.findKey(all)!.id;
    const secret = keys.accessTokenSecrets[0]!;
    const expired = signAccessToken(
      { processId: processOfT1, tenant: 't1', keyId, expiresAt: new Date(Date.now() - 1000) },
      secret,
    );
    const foreign = signAccessToken(
      { processId: processOfT2, tenant: 't1', keyId, expiresAt: new Date(Date.now() + 60_000) },
      secret,
    );
    const { token } = (await tokenFor(app, all)).body;
    const tampered = token.replace(/.$/, token.endsWith('A') ? 'B' : 'A');
    for (const [what, bad] of [
      ['expired', expired],
      ['tampered', tampered],
    ] as const) {
      const res = await app.request(`/processes/${processOfT1}`, withBearer({}, bad));
      const problem = await expectProblem(res, 401, what);
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/, what);
      assert.equal(problem.type, ProblemType.Unauthenticated);
    }
    // Signed for a process of another tenant: that process is not the token's tenant's.
    await expectProblem(await app.request(`/processes/${processOfT2}`, withBearer({}, foreign)), 404);

    revokeApiKey(keys.file, keyId);
    keys.keys = KeyStore.of(keys.file);
    const revokedApp = createApp({
      gateway: tenantGateway(),
      maxBodyBytes: 1024,
      retryAfterSeconds: 1,
      artifacts: { store: noArtifacts, maxBytes: 1024 },
      auth: { keys: keys.keys, accessTokenSecrets: keys.accessTokenSecrets },
    });
    await expectProblem(await revokedApp.request(`/processes/${processOfT1}`, withBearer({}, token)), 401);
  });

  it("of another tenant's process cannot be had", async () => {
    const { app, all } = setup();
    await expectProblem(
      await app.request(`/processes/${processOfT2}/access-tokens`, withBearer({ method: 'POST' }, all)),
      404,
    );
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After and the RateLimit fields past the rate; other keys are unaffected', async () => {
    const { app, as, limited, all } = setup();
    const first = await app.request('/processes', as(limited));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('ratelimit-policy'), '"per-key";q=2;w=60');
    assert.equal(first.headers.get('ratelimit'), '"per-key";r=1;t=30');
    // The fields come on error answers too.
    const second = await app.request(`/processes/${processOfT2}`, as(limited));
    assert.equal(second.status, 404);
    assert.equal(second.headers.get('ratelimit'), '"per-key";r=0;t=30');
    const third = await app.request('/processes', as(limited));
    const problem = await expectProblem(third, 429);
    assert.equal(problem.type, ProblemType.RateLimited);
    assert.equal(third.headers.get('retry-after'), '30');
    assert.equal(third.headers.get('ratelimit-policy'), '"per-key";q=2;w=60');
    assert.equal(third.headers.get('ratelimit'), '"per-key";r=0;t=30');
    const other = await app.request('/processes', as(all));
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('ratelimit'), null, 'a key without a rate gets no fields');
  });
});

describe('the OpenAPI document', () => {
  it('declares the security schemes, the scope of every operation and its 401/403/429 answers', async () => {
    const { app } = setup();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>
      >;
      components: {
        securitySchemes?: Record<string, { type: string; scheme?: string; in?: string; name?: string }>;
      };
    };
    const schemes = doc.components.securitySchemes ?? {};
    assert.deepEqual(schemes.apiKey && [schemes.apiKey.type, schemes.apiKey.scheme], ['http', 'bearer']);
    assert.deepEqual(
      schemes.accessTokenQuery && [schemes.accessTokenQuery.in, schemes.accessTokenQuery.name],
      ['query', 'access_token'],
    );
    let count = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        count++;
        const name = `${method.toUpperCase()} ${path}`;
        const expected = operations.find((op) => op.name === name);
        assert.ok(expected, `${name} is covered by this test`);
        assert.deepEqual(operation.security?.[0], { apiKey: [expected.scope] }, name);
        for (const status of ['401', '403', '429'])
          assert.ok(operation.responses[status], `${name} ${status}`);
        const browser = name === 'GET /processes/{id}' || name === 'GET /processes/{id}/events';
        assert.equal(operation.security?.length, browser ? 3 : 1, name);
      }
    }
    assert.equal(count, operations.length, 'every operation is in the document');
  });
});
