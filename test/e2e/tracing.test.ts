/**
 * Traces end to end: API and worker export spans over OTLP/HTTP (JSON) to a receiver in the test.
 * A request sent with a `traceparent` is continued through the HTTP request span, the workflow
 * start, the workflow, the runner activity and the webhook delivery, whose outgoing request
 * carries a `traceparent` of the same trace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../scripts/launcher.js';
import { pollUntilEnded, startProcess } from '../support/api-client.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { WebhookReceiver } from '../support/receivers.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const otlp = new OtlpReceiver();
let hooks: WebhookReceiver;

before(async () => {
  const endpoint = await otlp.listen();
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Export within a fraction of a second, not the SDK's default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  stack = await startStack({ workers: 0, api: { env } });
  await stack.startWorker(env);
  hooks = new WebhookReceiver(stack.webhookSecret);
});
after(async () => {
  await hooks?.close();
  await stack?.stop();
  await otlp.close();
});

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const names = (spans: ReceivedSpan[]): string =>
  spans.map((span) => `${span.service}:${span.name}`).join(', ');

describe('tracing', () => {
  it('continues an incoming traceparent from the HTTP request to the runner and the webhook delivery', async () => {
    const traceId = hex(16);
    const parentSpanId = hex(8);
    const url = await hooks.listen();
    const started = await startProcess(
      stack.api.url,
      { kind: 'delay', input: { seconds: 0.3, steps: 2 }, callback: { url } },
      { traceparent: `00-${traceId}-${parentSpanId}-01` },
    );
    assert.equal(started.status, 202);
    assert.equal((await pollUntilEnded(started.body.links.self)).status, 'succeeded');
    const [delivery] = await hooks.waitFor(1);

    // The receiver was called within the same trace.
    const traceparent = String(delivery!.headers.traceparent ?? '');
    assert.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), `traceparent ${traceparent}`);

    const has = (spans: ReceivedSpan[], service: string, name: RegExp, kind?: number): boolean =>
      spans.some(
        (s) => s.service === service && name.test(s.name) && (kind === undefined || s.kind === kind),
      );
    const expected = (spans: ReceivedSpan[]): boolean =>
      has(spans, 'longrun-api', /^POST /, 2) &&
      has(spans, 'longrun-api', /^StartWorkflow:/) &&
      has(spans, 'longrun-worker', /^RunWorkflow:/) &&
      has(spans, 'longrun-worker', /^RunActivity:.*delay/i) &&
      has(spans, 'longrun-worker', /^RunActivity:.*(webhook|deliver)/i) &&
      spans.some((s) => s.service === 'longrun-worker' && s.kind === 3 && s.name === 'POST');
    const spans = await eventually(() => otlp.trace(traceId), expected, {
      timeoutMs: 30_000,
      what: `the spans of trace ${traceId}`,
      show: (found) => `${found.length} spans: ${names(found)}; all: ${names(otlp.spans).slice(0, 3000)}`,
    });

    // The HTTP request span is the child of the span the caller sent, and names the route template.
    const request = spans.find((s) => s.service === 'longrun-api' && s.kind === 2)!;
    assert.equal(request.parentSpanId, parentSpanId);
    assert.equal(request.attributes['http.route'] ?? '/processes', '/processes');
    // The webhook's traceparent names the delivery's client span.
    const post = spans.find((s) => s.kind === 3 && s.name === 'POST')!;
    assert.equal(traceparent.split('-')[2], post.spanId);
    // Every span of the trace hangs off another span of it, or off the caller's.
    const ids = new Set([parentSpanId, ...spans.map((s) => s.spanId)]);
    const orphans = spans.filter((s) => !ids.has(s.parentSpanId));
    assert.deepEqual(names(orphans), '', 'no span of the trace without its parent');
    assert.equal(otlp.rejected, 0);
  });
});
