import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp, type AppOptions } from '../../src/api/app.js';
import type {
  CancelOutcome,
  ListFilter,
  ProcessGateway,
  ProcessPage,
  ProcessSnapshot,
  StartCommand,
} from '../../src/gateway/port.js';
import type { ReadinessCheck } from '../../src/gateway/readiness.js';
import { noArtifacts } from '../support/no-artifacts.js';
import { ProblemType } from '../../src/contract/problem-types.js';
import { isTerminal } from '../../src/contract/process-status.js';
import { initialState, type ProcessState } from '../../src/shared/process-state.js';
import { jsonRequest } from '../support/api-client.js';
import { authorized, testKeys } from '../support/auth.js';
import { expectProblem, type ProblemBody } from '../support/problem.js';

const createdAt = '2030-01-02T03:04:05.000Z';
const uiUrlOf = (id: string) => `http://temporal-ui.test/namespaces/default/workflows/${id}`;

/** An in-memory gateway: records start commands, serves the states it is seeded with. */
class FakeGateway implements ProcessGateway {
  readonly starts: StartCommand[] = [];
  readonly states = new Map<string, ProcessState>();
  isReady = true;
  private next = 1;

  start(_tenant: string, command: StartCommand): Promise<ProcessSnapshot> {
    this.starts.push(command);
    const id = `p-${this.next++}`;
    const state = initialState(id, `run-of-${id}`, command.kind, createdAt);
    this.states.set(id, state);
    return Promise.resolve({ state, revision: state.version, uiUrl: uiUrlOf(id) });
  }

  get(_tenant: string, id: string): Promise<ProcessSnapshot | undefined> {
    const state = this.states.get(id);
    return Promise.resolve(state && { state, revision: state.version, uiUrl: uiUrlOf(id) });
  }

  /** Nothing ever changes here, so waiting is answering at once. */
  waitForEnd(tenant: string, id: string): Promise<ProcessSnapshot | undefined> {
    return this.get(tenant, id);
  }

  async cancel(tenant: string, id: string): Promise<CancelOutcome | undefined> {
    const snapshot = await this.get(tenant, id);
    if (!snapshot) return undefined;
    if (isTerminal(snapshot.state.status)) return { outcome: 'already-ended', snapshot };
    snapshot.state.cancelRequested = true;
    return { outcome: 'requested', snapshot };
  }

  watch(_tenant: string, id: string, listener: (snapshot: ProcessSnapshot | undefined) => void): () => void {
    const state = this.states.get(id);
    listener(state && { state, revision: state.version, uiUrl: uiUrlOf(id) });
    return () => {};
  }

  list(_tenant: string, filter: ListFilter): Promise<ProcessPage> {
    const items = [...this.states.values()]
      .filter(
        (state) =>
          (filter.status === undefined || state.status === filter.status) &&
          (filter.kind === undefined || state.kind === filter.kind),
      )
      .slice(0, filter.limit)
      .map(({ id, kind, status, createdAt: created, completedAt }) => ({
        id,
        kind,
        status,
        createdAt: created,
        ...(completedAt !== undefined && { completedAt }),
        uiUrl: uiUrlOf(id),
      }));
    return Promise.resolve({ items });
  }

  ready(): Promise<ReadinessCheck[]> {
    return Promise.resolve(
      this.isReady
        ? [{ name: 'temporal', ok: true }]
        : [{ name: 'temporal', ok: false, detail: 'unreachable: connection refused' }],
    );
  }

  seed(changes: Partial<ProcessState> & Pick<ProcessState, 'id'>): void {
    this.states.set(changes.id, {
      ...initialState(changes.id, `run-of-${changes.id}`, 'delay', createdAt),
      ...changes,
    });
  }
}

/** The app over a fake gateway; its `request()` sends an all-scopes key (the auth tests send their own). */
function setup(options: Partial<AppOptions> = {}) {
  const gateway = new FakeGateway();
  const errors: unknown[] = [];
  const { keys, accessTokenSecrets, defaultKey } = testKeys();
  const app = createApp({
    gateway,
    maxBodyBytes: 1024,
    retryAfterSeconds: 1,
    artifacts: { store: noArtifacts, maxBytes: 1024 },
    logError: (err) => errors.push(err),
    auth: { keys, accessTokenSecrets },
    ...options,
  });
  return { app: authorized(app, defaultKey), gateway, errors };
}

const pointers = (problem: ProblemBody) => (problem.errors ?? []).map((error) => error.pointer);

describe('POST /processes', () => {
  it('accepts a valid request with 202, Location, Retry-After and the process resource', async () => {
    const { app } = setup();

    const res = await app.request('/processes', jsonRequest({ kind: 'delay', input: { seconds: 5 } }));

    assert.equal(res.status, 202);
    const location = res.headers.get('location');
    assert.ok(location);
    assert.equal(new URL(location).href, location, 'Location is an absolute URL');
    assert.ok(location.endsWith('/processes/p-1'), location);
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(res.headers.get('retry-after'), '1');

    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(body, {
      id: 'p-1',
      kind: 'delay',
      status: 'queued',
      progress: { percent: 0, message: 'queued' },
      attempt: 0,
      createdAt,
      updatedAt: createdAt,
      links: { self: location, ui: uiUrlOf('p-1') },
    });
    assert.ok(!('runId' in body), 'the Temporal run id is not part of the API');
  });

  it('passes the normalized input (defaults filled) to the gateway', async () => {
    const { app, gateway } = setup();

    const res = await app.request(
      '/processes',
      jsonRequest({ kind: 'delay', input: { seconds: 2.5, steps: 5 } }),
    );

    assert.equal(res.status, 202);
    assert.equal(gateway.starts.length, 1);
    assert.equal(gateway.starts[0]?.kind, 'delay');
    assert.deepEqual(gateway.starts[0]?.input, { seconds: 2.5, steps: 5, failAttempts: 0, fail: false });
  });

  it('builds Location from publicBaseUrl when one is configured', async () => {
    const { app } = setup({ publicBaseUrl: 'https://api.example.com' });

    const res = await app.request(
      'http://internal:3000/processes',
      jsonRequest({ kind: 'delay', input: { seconds: 1 } }),
    );

    assert.equal(res.status, 202);
    assert.equal(res.headers.get('location'), 'https://api.example.com/processes/p-1');
  });

  it('accepts a body of exactly the size limit', async () => {
    const { app, gateway } = setup();
    const compact = JSON.stringify({ kind: 'delay', input: { seconds: 1 } });
    const body = compact + ' '.repeat(1024 - compact.length);
    assert.equal(Buffer.byteLength(body), 1024);

    const res = await app.request('/processes', jsonRequest(body));

    assert.equal(res.status, 202);
    assert.equal(gateway.starts.length, 1);
  });

  describe('refuses bad requests without starting anything', () => {
    const malformed = { status: 400, type: ProblemType.MalformedJson };
    const invalid = { status: 400, type: ProblemType.ValidationFailed };
    const tooLarge = { status: 413, type: ProblemType.PayloadTooLarge };
    const notJson = { status: 415, type: ProblemType.UnsupportedMediaType };
    const cases: {
      name: string;
      init: RequestInit;
      status: number;
      type: string;
      /** Pointers that must be among the problem's `errors`. */
      pointers?: string[];
    }[] = [
      { name: 'malformed JSON', init: jsonRequest('{"kind": "delay", "input": {'), ...malformed },
      {
        name: 'a wrong type',
        init: jsonRequest({ kind: 'delay', input: { seconds: 'ten' } }),
        ...invalid,
        pointers: ['/input/seconds'],
      },
      {
        name: 'several invalid fields',
        init: jsonRequest({ kind: 'delay', input: { seconds: 0, steps: -1 } }),
        ...invalid,
        pointers: ['/input/seconds', '/input/steps'],
      },
      {
        name: 'an unknown input field',
        init: jsonRequest({ kind: 'delay', input: { seconds: 1, sleep: 5 } }),
        ...invalid,
        pointers: ['/input/sleep'],
      },
      {
        name: 'an unknown top-level field',
        init: jsonRequest({ kind: 'delay', input: { seconds: 1 }, priority: 'high' }),
        ...invalid,
        pointers: ['/priority'],
      },
      {
        name: 'an unknown kind',
        init: jsonRequest({ kind: 'teleport', input: { seconds: 1 } }),
        ...invalid,
        pointers: ['/kind'],
      },
      { name: 'a missing input', init: jsonRequest({ kind: 'delay' }), ...invalid, pointers: ['/input'] },
      { name: 'a JSON body that is not an object', init: jsonRequest([1, 2]), ...invalid },
      { name: 'an empty JSON body', init: jsonRequest(''), ...malformed },
      { name: 'no body at all', init: { method: 'POST' }, ...invalid },
      {
        name: 'a body over the limit',
        init: jsonRequest({ kind: 'delay', input: { seconds: 1 }, padding: 'x'.repeat(1100) }),
        ...tooLarge,
      },
      {
        name: 'a body over the limit, announced by Content-Length',
        init: jsonRequest('{}'.padEnd(2048, ' '), { 'content-length': '2048' }),
        ...tooLarge,
      },
      {
        name: 'a body over the limit, streamed without Content-Length',
        // A stream: jsonRequest sends it as is, with `duplex: 'half'`.
        init: jsonRequest(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"kind":"delay","input":{"seconds":1},"pad":"'));
              for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(512)));
              controller.enqueue(new TextEncoder().encode('"}'));
              controller.close();
            },
          }),
        ),
        ...tooLarge,
      },
      {
        name: 'a text/plain body',
        init: jsonRequest(JSON.stringify({ kind: 'delay', input: { seconds: 1 } }), {
          'content-type': 'text/plain',
        }),
        ...notJson,
      },
    ];

    for (const { name, init, status, type, pointers: expected } of cases) {
      it(`${name} → ${status}`, async () => {
        const { app, gateway } = setup();

        const problem = await expectProblem(await app.request('/processes', init), status);

        assert.equal(problem.type, type);
        for (const pointer of expected ?? []) {
          assert.ok(
            pointers(problem).includes(pointer),
            `no error at ${pointer}: ${JSON.stringify(problem)}`,
          );
        }
        assert.equal(problem.instance, '/processes');
        assert.deepEqual(gateway.starts, [], 'the gateway was asked to start a process');
      });
    }
  });

  it('answers 500 problem+json when the gateway fails unexpectedly, and logs the error', async () => {
    const { app, gateway, errors } = setup();
    const boom = new Error('boom');
    gateway.start = () => Promise.reject(boom);

    const problem = await expectProblem(
      await app.request('/processes', jsonRequest({ kind: 'delay', input: { seconds: 1 } })),
      500,
    );

    assert.deepEqual(errors, [boom]);
    assert.ok(!JSON.stringify(problem).includes('boom'), 'internal details leak to the client');
  });

  it('answers 503 with Retry-After when Temporal is unavailable', async () => {
    const { app, gateway } = setup();
    gateway.start = () =>
      Promise.reject(Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 }));

    const res = await app.request('/processes', jsonRequest({ kind: 'delay', input: { seconds: 1 } }));

    await expectProblem(res, 503);
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
  });
});

describe('GET /processes/{id}', () => {
  it('answers 404 problem+json for an unknown id', async () => {
    const { app } = setup();
    const problem = await expectProblem(await app.request('/processes/nope'), 404);
    assert.equal(problem.instance, '/processes/nope');
  });

  for (const status of ['queued', 'running'] as const) {
    it(`answers 202 with Location and Retry-After while ${status}`, async () => {
      const { app, gateway } = setup();
      gateway.seed({ id: 'p-7', status, attempt: 1, progress: { percent: 40, message: 'step 4/10' } });

      const res = await app.request('/processes/p-7');

      assert.equal(res.status, 202);
      assert.equal(res.headers.get('location'), 'http://localhost/processes/p-7');
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.status, status);
      assert.deepEqual(body.progress, { percent: 40, message: 'step 4/10' });
      assert.ok(!('completedAt' in body));
      assert.ok(!('result' in body));
    });
  }

  it('answers 200 with the result once succeeded, and no Location', async () => {
    const { app, gateway } = setup();
    const result = { seconds: 1, steps: 10, resumedAfterStep: 0, attempt: 1 };
    gateway.seed({
      id: 'p-8',
      status: 'succeeded',
      attempt: 1,
      progress: { percent: 100, message: 'done' },
      completedAt: '2030-01-02T03:04:06.000Z',
      result,
    });

    const res = await app.request('/processes/p-8');

    assert.equal(res.status, 200);
    assert.equal(res.headers.get('location'), null);
    assert.equal(res.headers.get('retry-after'), null);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'succeeded');
    assert.deepEqual(body.result, result);
    assert.equal(body.completedAt, '2030-01-02T03:04:06.000Z');
    assert.ok(!('error' in body));
    assert.ok(!('runId' in body));
  });

  it('answers 200 with the error once failed', async () => {
    const { app, gateway } = setup();
    const error = {
      type: 'RequestedFailure',
      title: 'Runner failed',
      detail: 'failing as requested (fail: true)',
    };
    gateway.seed({ id: 'p-9', status: 'failed', attempt: 1, completedAt: '2030-01-02T03:04:06.000Z', error });

    const res = await app.request('/processes/p-9');

    assert.equal(res.status, 200);
    assert.equal(res.headers.get('location'), null);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'failed');
    assert.deepEqual(body.error, error);
    assert.ok(!('result' in body));
  });

  it('answers 200 once canceled', async () => {
    const { app, gateway } = setup();
    gateway.seed({ id: 'p-10', status: 'canceled', completedAt: '2030-01-02T03:04:06.000Z' });

    const res = await app.request('/processes/p-10');

    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'canceled');
  });

  it('polls the process that POST created', async () => {
    const { app } = setup();
    const created = await app.request('/processes', jsonRequest({ kind: 'delay', input: { seconds: 1 } }));
    const location = created.headers.get('location');
    assert.ok(location);

    const res = await app.request(location);

    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { id: string }).id, 'p-1');
  });
});

describe('other routes', () => {
  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const { app } = setup();

    const res = await app.request('/processes/x', { method: 'DELETE' });
    await expectProblem(res, 405);
    assert.equal(res.headers.get('allow'), 'GET');

    const processes = await app.request('/processes', { method: 'PUT' });
    await expectProblem(processes, 405);
    const allowed = (processes.headers.get('allow') ?? '').split(',').map((method) => method.trim());
    assert.ok(allowed.includes('POST'), `Allow: ${allowed.join(', ')}`);
    assert.ok(!allowed.includes('PUT'));
  });

  it('answers 404 problem+json for an unknown path', async () => {
    const { app } = setup();
    const problem = await expectProblem(await app.request('/no/such/thing'), 404);
    assert.equal(problem.instance, '/no/such/thing');
  });

  it('serves an OpenAPI 3.1 document describing the API', async () => {
    const { app } = setup();

    const res = await app.request('/openapi.json');

    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    assert.ok(doc.openapi.startsWith('3.1'), doc.openapi);
    assert.ok(doc.paths['/processes']?.post);
    assert.ok(doc.paths['/processes/{id}']?.get);
    for (const name of ['Process', 'StartProcessRequest', 'Problem', 'DelayInput']) {
      assert.ok(doc.components.schemas[name], `no schema ${name}`);
    }
    const accepted = doc.paths['/processes']?.post?.responses['202'];
    assert.ok(accepted?.headers?.Location && accepted.headers['Retry-After']);
  });

  it('serves the API docs as HTML', async () => {
    const { app } = setup();

    const res = await app.request('/docs');

    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<html/i);
    assert.ok(html.includes('/openapi.json'), 'the docs page does not load the OpenAPI document');
  });

  it('says it is alive on /healthz whatever Temporal does', async () => {
    const { app, gateway } = setup();
    gateway.isReady = false;

    const alive = await app.request('/healthz');

    assert.equal(alive.status, 200);
    assert.deepEqual(await alive.json(), { status: 'ok' });
  });
});
