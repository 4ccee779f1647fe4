import { ByteReader } from './byte-reader.js';
import { ChunkCipher, defaultChunkSize } from './chunk-format.js';
import type { KeyRing } from './keyring.js';

/** Encrypt a whole stream (tests, benchmarks). Runners go chunk by chunk instead, to checkpoint. */
export async function* encryptStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  keys: KeyRing,
  chunkSize = defaultChunkSize,
): AsyncGenerator<Buffer> {
  const cipher = ChunkCipher.create(keys, chunkSize);
  yield cipher.header;
  const reader = new ByteReader(source);
  for (let index = 0; ; index++) {
    const plaintext = await reader.read(chunkSize);
    const final = plaintext.length < chunkSize || (await reader.atEnd());
    yield cipher.seal(index, plaintext, final);
    if (final) return;
  }
}

/** Decrypt a whole stream (tests); throws a {@link CiphertextError} where it goes wrong. */
export async function* decryptStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  keys: KeyRing,
): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source);
  const cipher = await ChunkCipher.read(reader, keys);
  for (let index = 0; ; index++) {
    const { plaintext, final } = await cipher.openNext(reader, index);
    yield plaintext;
    if (final) return;
  }
}
