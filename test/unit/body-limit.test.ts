import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { limitBody } from '../../src/api/body-limit.js';

/** An app whose one route echoes the body's length; the limit answers 413 with a plain text. */
function limitedApp(maxBytes: number) {
  const seen: { bodyUsedAtRefusal?: boolean } = {};
  const app = new Hono().post(
    '/',
    limitBody({
      maxBytes,
      onTooLarge: (c) => {
        seen.bodyUsedAtRefusal = c.req.raw.bodyUsed;
        return c.text('too large', 413);
      },
    }),
    async (c) => c.text(String((await c.req.text()).length)),
  );
  return { app, seen };
}

const streamOf = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });

describe('limitBody', () => {
  it('refuses from Content-Length alone, without reading the body', async () => {
    const { app, seen } = limitedApp(10);
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'content-length': '11' },
      body: 'x'.repeat(11),
    });
    assert.equal(res.status, 413);
    assert.equal(seen.bodyUsedAtRefusal, false);
  });

  it('lets a body of exactly the limit through, declared or not', async () => {
    const { app } = limitedApp(10);
    const declared = await app.request('/', {
      method: 'POST',
      headers: { 'content-length': '10' },
      body: 'x'.repeat(10),
    });
    assert.equal(declared.status, 200);
    assert.equal(await declared.text(), '10');
    const streamed = await app.request('/', {
      method: 'POST',
      body: streamOf('x'.repeat(6), 'x'.repeat(4)),
      duplex: 'half',
    });
    assert.equal(streamed.status, 200);
    assert.equal(await streamed.text(), '10');
  });

  it('counts a body without Content-Length as it streams, and refuses it past the limit', async () => {
    const { app } = limitedApp(10);
    const res = await app.request('/', {
      method: 'POST',
      body: streamOf('x'.repeat(6), 'x'.repeat(6)),
      duplex: 'half',
    });
    assert.equal(res.status, 413);
  });

  it('counts when Transfer-Encoding is present, whatever Content-Length says', async () => {
    const { app } = limitedApp(10);
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'content-length': '5', 'transfer-encoding': 'chunked' },
      body: streamOf('x'.repeat(12)),
      duplex: 'half',
    });
    assert.equal(res.status, 413);
  });
});
