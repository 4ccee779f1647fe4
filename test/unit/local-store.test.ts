import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LocalArtifactStore } from '../../src/artifacts/local-store.js';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  isArtifactId,
  PartialNotFoundError,
} from '../../src/artifacts/store.js';
import { useTempDir } from '../support/temp-dir.js';

let root: string;
let store: LocalArtifactStore;
useTempDir('longrun-store-', async (made) => {
  root = made;
  store = await LocalArtifactStore.open(root);
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Every file under the store, relative, but the (always present) `.partial` folder itself. */
async function files(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('local artifact store', { concurrency: false }, () => {
  it('streams content to disk as it arrives, and reads it back whole', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    let sawPartialOnDisk = false;
    async function* slowly(): AsyncGenerator<Buffer> {
      for (let i = 0; i < data.length; i += 64 * 1024) {
        if (i === data.length / 2) {
          // Half-way through the source, the first half must already be on disk, not in memory.
          const partials = await readdir(join(root, '.partial'));
          const sizes = await Promise.all(
            partials.map(async (p) => (await stat(join(root, '.partial', p))).size),
          );
          sawPartialOnDisk = sizes.some((size) => size >= data.length / 2 - 1024 * 1024);
        }
        yield data.subarray(i, i + 64 * 1024);
      }
    }
    const meta = await store.create(slowly(), { contentType: 'application/x-test', maxBytes: data.length });
    assert.ok(sawPartialOnDisk, 'content reached the disk while the source was still producing');
    assert.ok(isArtifactId(meta.id));
    assert.equal(meta.size, data.length);
    assert.equal(meta.sha256, sha256(data));
    assert.equal(meta.contentType, 'application/x-test');
    assert.deepEqual(await store.stat(meta.id), meta);
    assert.deepEqual(await readAll(await store.openRead(meta.id)), data);
    assert.deepEqual(await files(), [meta.id, `${meta.id}.json`].sort());
    assert.equal((await stat(join(root, meta.id))).mode & 0o777, 0o600, 'private to the owner');
    await store.remove(meta.id);
    assert.deepEqual(await files(), []);
    assert.equal(await store.stat(meta.id), undefined);
  });

  it('refuses content past the limit and leaves nothing behind', async () => {
    const data = randomBytes(300_000);
    await assert.rejects(
      store.create(chunksOf(data, 16_384), { contentType: 'text/plain', maxBytes: data.length - 1 }),
      ArtifactTooLargeError,
    );
    assert.deepEqual(await files(), []);
    // Exactly the limit is fine.
    const meta = await store.create(chunksOf(data, 16_384), {
      contentType: 'text/plain',
      maxBytes: data.length,
    });
    assert.equal(meta.size, data.length);
    await store.remove(meta.id);
  });

  it('leaves nothing behind when the source fails half-way', async () => {
    function* failing(): Generator<Buffer> {
      yield randomBytes(2 * 1024 * 1024);
      throw new Error('client went away');
    }
    await assert.rejects(
      store.create(failing(), { contentType: 'text/plain', maxBytes: 1e9 }),
      /client went away/,
    );
    assert.deepEqual(await files(), []);
  });

  it('reads byte ranges, clamped to the content', async () => {
    const data = randomBytes(100_000);
    const { id } = await store.create([data], { contentType: 'application/octet-stream', maxBytes: 1e6 });
    const read = async (range: { start?: number; end?: number }) => readAll(await store.openRead(id, range));
    assert.deepEqual(await read({ start: 0, end: 0 }), data.subarray(0, 1));
    assert.deepEqual(await read({ start: 10, end: 19 }), data.subarray(10, 20));
    assert.deepEqual(await read({ start: 99_990 }), data.subarray(99_990));
    assert.deepEqual(await read({ start: 50_000, end: 10_000_000 }), data.subarray(50_000));
    assert.deepEqual(await read({ start: 100_000 }), Buffer.alloc(0));
    const empty = await store.create([], { contentType: 'text/plain', maxBytes: 10 });
    assert.equal(empty.size, 0);
    assert.deepEqual(await readAll(await store.openRead(empty.id)), Buffer.alloc(0));
    await Promise.all([store.remove(id), store.remove(empty.id)]);
  });

  it('knows nothing of unknown or malformed ids (no path tricks)', async () => {
    for (const id of ['0'.repeat(32), '../../etc/passwd', '.partial', '', 'A'.repeat(32)]) {
      assert.equal(await store.stat(id), undefined, id);
      await assert.rejects(store.openRead(id), ArtifactNotFoundError, id);
      await store.remove(id);
    }
    const writers = await Promise.all(Array.from({ length: 100 }, () => store.openWriter()));
    assert.equal(new Set(writers.map((w) => w.id)).size, 100, 'ids do not repeat');
    await Promise.all(writers.map((w) => w.abort()));
    assert.deepEqual(await files(), []);
  });

  it('resumes a partial output from its durable prefix, in a copy of its own', async () => {
    const first = randomBytes(3 * 1024 * 1024 + 17);
    const rest = randomBytes(1024 * 1024);
    const writer = await store.openWriter();
    await writer.write(first);
    assert.equal(await writer.flush(), first.length);
    await writer.write(randomBytes(5000)); // written after the checkpoint: must not survive
    await writer.close();

    let copied = 0;
    const resumed = await store.openWriter({
      resumeFrom: { id: writer.id, length: first.length },
      onCopied: (bytes) => (copied = bytes),
    });
    assert.notEqual(resumed.id, writer.id);
    assert.equal(resumed.size, first.length);
    assert.equal(copied, first.length);
    await resumed.write(rest);
    const meta = await resumed.commit('application/octet-stream');
    const whole = Buffer.concat([first, rest]);
    assert.equal(meta.sha256, sha256(whole), 'the hash covers the copied prefix');
    assert.deepEqual(await readAll(await store.openRead(meta.id)), whole);
    assert.deepEqual(await files(), [meta.id, `${meta.id}.json`].sort(), 'the earlier partial is gone');
    await store.remove(meta.id);
  });

  it('cannot resume a partial that is gone or shorter than its checkpoint', async () => {
    const writer = await store.openWriter();
    await writer.write(randomBytes(1000));
    await writer.flush();
    await writer.close();
    await assert.rejects(
      store.openWriter({ resumeFrom: { id: writer.id, length: 1001 } }),
      PartialNotFoundError,
    );
    await assert.rejects(
      store.openWriter({ resumeFrom: { id: '1'.repeat(32), length: 1 } }),
      PartialNotFoundError,
    );
    assert.deepEqual(
      await files(),
      [`.partial/${writer.id}`],
      'a failed resume leaves the partial as it was',
    );
    // Abort removes its own partial and the one it resumed from.
    const resumed = await store.openWriter({ resumeFrom: { id: writer.id, length: 500 } });
    await resumed.abort();
    assert.deepEqual(await files(), []);
  });
});
