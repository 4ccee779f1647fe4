import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { chunkHeaderBytes, CiphertextError, sealedChunkBytes } from '../../src/crypto/chunk-format.js';
import { decryptStream, encryptStream } from '../../src/crypto/streams.js';
import { KeyRing, type MasterKey } from '../../src/crypto/keyring.js';
import { FailureType } from '../../src/contract/failure-types.js';

const k1: MasterKey = { id: 'k1', key: randomBytes(32) };
const k2: MasterKey = { id: 'k2', key: randomBytes(32) };
const ring = new KeyRing([k1]);

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** `data` in pieces of `piece` bytes, as a stream would deliver it. */
function* pieces(data: Buffer, piece = 1000): Generator<Buffer> {
  for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
}

const encrypt = (data: Buffer, chunkSize = 64, keys = ring) =>
  collect(encryptStream(pieces(data), keys, chunkSize));
const decrypt = (file: Buffer, keys = ring) => collect(decryptStream(pieces(file, 777), keys));

/** Asserts that decrypting `file` fails with a CiphertextError of `type`. */
async function assertFails(file: Buffer, type: string, keys = ring): Promise<void> {
  await assert.rejects(decrypt(file, keys), (err: unknown) => {
    assert.ok(err instanceof CiphertextError, `expected a CiphertextError, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    return true;
  });
}

/** Layout of a file encrypted under key id "k1": where the header ends and each chunk starts. */
function layout(file: Buffer, chunkSize: number, plaintextBytes: number) {
  const headerBytes = 8 + 1 + 4 + 16 + 1 + 'k1'.length + 12 + 32 + 16;
  const chunks = Math.max(1, Math.ceil(plaintextBytes / chunkSize));
  const starts = Array.from({ length: chunks }, (_, i) => headerBytes + i * sealedChunkBytes(chunkSize));
  assert.equal(
    file.length,
    headerBytes +
      (chunks - 1) * sealedChunkBytes(chunkSize) +
      sealedChunkBytes(plaintextBytes - (chunks - 1) * chunkSize),
  );
  const chunk = (i: number) => file.subarray(starts[i], i + 1 < chunks ? starts[i + 1] : file.length);
  return { headerBytes, chunks, starts, chunk };
}

describe('chunk format', () => {
  it('round-trips any length, including empty and exact multiples of the chunk size', async () => {
    for (const length of [0, 1, 63, 64, 65, 64 * 5, 64 * 5 + 10, 10_000]) {
      const data = randomBytes(length);
      const file = await encrypt(data);
      assert.deepEqual(await decrypt(file), data, `length ${length}`);
    }
    const large = randomBytes(1024 * 1024 + 5);
    assert.deepEqual(await collect(decryptStream(encryptStream(pieces(large, 100_000), ring), ring)), large);
  });

  it('gives every file a fresh data key and nonces: the same input never encrypts the same', async () => {
    const data = Buffer.alloc(256, 7);
    const [a, b] = await Promise.all([encrypt(data), encrypt(data)]);
    assert.notDeepEqual(a, b);
    // Identical plaintext chunks within one file do not repeat either.
    const { chunk } = layout(a, 64, 256);
    assert.notDeepEqual(chunk(0).subarray(chunkHeaderBytes), chunk(1).subarray(chunkHeaderBytes));
  });

  it('detects a flipped byte anywhere, naming what it breaks', async () => {
    const data = randomBytes(64 + 20);
    const file = await encrypt(data);
    const { headerBytes } = layout(file, 64, data.length);
    const keyIdAt = 30;
    for (let at = 0; at < file.length; at++) {
      const flipped = Buffer.from(file);
      flipped[at] = flipped[at]! ^ 0x01;
      const expected =
        at < 9
          ? [FailureType.UnsupportedFormat] // magic, version
          : at === keyIdAt - 1
            ? [FailureType.CiphertextTampered, FailureType.UnknownKeyId] // key id length
            : at >= keyIdAt && at < keyIdAt + 2
              ? [FailureType.UnknownKeyId]
              : [FailureType.CiphertextTampered]; // the rest of the header, every chunk byte
      await assert.rejects(decrypt(flipped), (err: unknown) => {
        assert.ok(err instanceof CiphertextError, `byte ${at}: ${String(err)}`);
        assert.ok(
          expected.includes(err.type as never),
          `byte ${at} (header ${headerBytes}): ${err.type}: ${err.message}`,
        );
        return true;
      });
    }
  });

  it('detects truncation at every length', async () => {
    const data = randomBytes(64 * 2 + 20);
    const file = await encrypt(data);
    await assertFails(file.subarray(0, 0), FailureType.UnsupportedFormat);
    for (let length = 1; length < file.length; length++) {
      await assertFails(file.subarray(0, length), FailureType.CiphertextTruncated);
    }
  });

  it('detects swapped, repeated and missing chunks as reordered', async () => {
    const data = randomBytes(64 * 4 + 20);
    const file = await encrypt(data);
    const { headerBytes, chunk } = layout(file, 64, data.length);
    const header = file.subarray(0, headerBytes);
    const assemble = (...order: number[]) => Buffer.concat([header, ...order.map(chunk)]);
    assert.deepEqual(await decrypt(assemble(0, 1, 2, 3, 4)), data);
    await assertFails(assemble(0, 2, 1, 3, 4), FailureType.ChunksReordered);
    await assertFails(assemble(0, 1, 2, 4, 3), FailureType.ChunksReordered); // the short final chunk moved up
    await assertFails(assemble(0, 1, 1, 2, 3, 4), FailureType.ChunksReordered);
    await assertFails(assemble(0, 1, 3, 4), FailureType.ChunksReordered);
    // Without its final chunk, the file is truncated (not reordered).
    await assertFails(assemble(0, 1, 2, 3), FailureType.CiphertextTruncated);
  });

  it('detects a chunk spliced in from another file, and data after the final chunk', async () => {
    const data = randomBytes(64 * 3);
    const [file, other] = await Promise.all([encrypt(data), encrypt(data)]);
    const mine = layout(file, 64, data.length);
    const theirs = layout(other, 64, data.length);
    const spliced = Buffer.concat([file.subarray(0, mine.starts[1]), theirs.chunk(1), mine.chunk(2)]);
    assert.equal(spliced.length, file.length);
    await assertFails(spliced, FailureType.CiphertextTampered);
    await assertFails(Buffer.concat([file, Buffer.from([0])]), FailureType.CiphertextTampered);
    await assertFails(Buffer.concat([file, mine.chunk(2)]), FailureType.CiphertextTampered);
  });

  it('fails with UnknownKeyId when the master key is not in the ring, and decrypts after rotation', async () => {
    const data = randomBytes(500);
    const file = await encrypt(data, 64, new KeyRing([k1]));
    await assertFails(file, FailureType.UnknownKeyId, new KeyRing([k2]));
    // Rotated: k2 wraps new files, k1 still unwraps the old ones.
    const rotated = new KeyRing([k1, k2], 'k2');
    assert.deepEqual(await decrypt(file, rotated), data);
    const newer = await encrypt(data, 64, rotated);
    assert.equal(newer.subarray(30, 32).toString(), 'k2');
    await assertFails(newer, FailureType.UnknownKeyId, new KeyRing([k1]));
    // The same id with other key material: the header does not authenticate.
    await assertFails(
      file,
      FailureType.CiphertextTampered,
      new KeyRing([{ id: 'k1', key: randomBytes(32) }]),
    );
  });

  it('refuses what is not a longrun encrypted file, or a version it does not know', async () => {
    await assertFails(randomBytes(4096), FailureType.UnsupportedFormat);
    const file = await encrypt(randomBytes(10));
    const future = Buffer.from(file);
    future[8] = 2;
    await assertFails(future, FailureType.UnsupportedFormat);
  });
});
