/**
 * The OpenAPI document is exact: what the fuzzer found wrong is now documented as it is,
 * and a short, seeded Schemathesis run (every check, every phase, stateful links included) over
 * the whole document finds no mismatch against a real stack. `npm run fuzz` is the whole run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findSchemathesis, fuzzApiEnv, runSchemathesis } from '../../scripts/contract/schemathesis.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
before(async () => {
  stack = await startStack({ api: { env: fuzzApiEnv } });
});
after(async () => {
  await stack?.stop();
});

interface Operation {
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, Record<string, unknown>> }
  >;
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  security?: Record<string, string[]>[];
}
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
};

describe('the OpenAPI document', () => {
  it('documents what the fuzzer found undocumented', async () => {
    const doc = (await (await fetch(`${stack.api.url}/openapi.json`)).json()) as Doc;
    const op = (path: string, method: string) => {
      const found = doc.paths[path]?.[method];
      assert.ok(found, `${method} ${path}`);
      return found;
    };
    assert.ok(op('/processes/{id}', 'get').responses['400'], 'a bad Prefer on GET');
    assert.ok(op('/processes', 'post').responses['422'], 'unknown artifact, refused callback');
    for (const [path, method] of [
      ['/processes', 'post'],
      ['/processes/{id}', 'get'],
      ['/processes/{id}/cancel', 'post'],
    ] as const) {
      const headers = op(path, method).responses['202']?.headers ?? {};
      assert.ok(headers['Operation-Location'] && headers.Location, `${method} ${path} 202`);
    }
    assert.equal(op('/artifacts', 'post').requestBody?.required, false);
    // A field error has exactly one locator: pointer, parameter or header, nothing else.
    const fieldError = doc.components.schemas.FieldError as {
      anyOf?: { required: string[]; additionalProperties: boolean }[];
    };
    assert.deepEqual(
      fieldError.anyOf?.map((one) => [one.required[0], one.additionalProperties]),
      [
        ['pointer', false],
        ['parameter', false],
        ['header', false],
      ],
    );
    const stream = op('/processes/{id}/events', 'get').responses['200']?.content?.['text/event-stream'];
    assert.ok(stream?.itemSchema, 'each event is described');
  });

  it('documents the authentication every operation but the open ones answers with', async () => {
    const doc = (await (await fetch(`${stack.api.url}/openapi.json`)).json()) as Doc;
    assert.ok(doc.components.securitySchemes?.apiKey, 'the API key scheme');
    const open = new Set(['/healthz', '/readyz', '/openapi.json', '/docs']);
    const secured: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (open.has(path)) continue;
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method} ${path}`;
        assert.ok(
          operation.security?.some((requirement) => 'apiKey' in requirement),
          `${where}: security`,
        );
        for (const status of ['400', '401', '403', '429'])
          assert.ok(operation.responses[status], `${where}: ${status}`);
        assert.ok(operation.responses['401']?.headers?.['WWW-Authenticate'], `${where}: 401 challenge`);
        assert.ok(operation.responses['429']?.headers?.['Retry-After'], `${where}: 429 Retry-After`);
        secured.push(where);
      }
    }
    assert.deepEqual(secured.sort(), [
      'get /artifacts/{id}',
      'get /processes',
      'get /processes/{id}',
      'get /processes/{id}/events',
      'head /artifacts/{id}',
      'post /artifacts',
      'post /processes',
      'post /processes/{id}/access-tokens',
      'post /processes/{id}/cancel',
    ]);
    // Without a key, a secured operation is the documented 401.
    const unauthenticated = await fetch(`${stack.api.url}/processes`);
    assert.equal(unauthenticated.status, 401);
    assert.match(unauthenticated.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  it('passes a seeded Schemathesis run: every check, every phase, stateful links', async (t) => {
    const st = await findSchemathesis();
    if ('missing' in st) {
      // This machine cannot make a Python virtualenv: say so loudly (CI has one).
      t.diagnostic(st.missing);
      assert.fail(`Schemathesis unavailable: ${st.missing}`);
    }
    // With the stack's key; Schemathesis also tries each operation without it (a documented 401).
    const result = await runSchemathesis(st.path, {
      apiUrl: stack.api.url,
      seed: 13,
      maxExamples: 8,
      apiKey: stack.apiKey,
    });
    assert.equal(result.exitCode, 0, result.output.slice(-6000));
    assert.match(result.output, /Stateful/);
  });
});
