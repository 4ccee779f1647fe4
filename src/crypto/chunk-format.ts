/**
 * longrun's encrypted file format (version 1): AES-256-GCM in fixed-size chunks, under a random
 * data key per file that a master key wraps (envelope encryption). Big-endian integers.
 *
 * Header:
 *   magic "LRUNAEAD" (8) · version 1 (1) · chunk size (4) · file id, random (16)
 *   · key id length k (1) · key id, ASCII (k)
 *   · wrapped data key: nonce (12) · AES-256-GCM(master key, data key) (32) · tag (16)
 *   The wrapping authenticates every header byte before it (its AAD), so a changed header fails.
 *
 * Then chunks, the last one flagged final (an empty input is one empty final chunk):
 *   index (8) · flags (1, bit 0 = final) · length (4) · nonce, random (12)
 *   · ciphertext (length) · tag (16)
 *   AAD = file id · index · flags · length: a chunk authenticates only at its own index, in its
 *   own file, with its own final flag. So a chunk from another file or a changed byte does not
 *   authenticate (tampered); an authentic chunk at the wrong index is reordered, repeated or
 *   missing chunks; a file that ends without an authentic final chunk is truncated. The index is
 *   also in clear text so that those cases can be told apart.
 *
 * The chunk AAD names the file id, not the whole header: a master key can be rotated by
 * re-wrapping the data key in the header alone, leaving the chunks as they are.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { FailureType } from '../contract/failure-types.js';
import { ByteReader } from './byte-reader.js';
import type { KeyRing } from './keyring.js';

export const magic = Buffer.from('LRUNAEAD', 'latin1');
export const formatVersion = 1;
export const defaultChunkSize = 64 * 1024;
export const minChunkSize = 16;
export const maxChunkSize = 16 * 1024 * 1024;

const nonceBytes = 12;
const tagBytes = 16;
const dataKeyBytes = 32;
const fileIdBytes = 16;
const maxKeyIdBytes = 64;
/** magic, version, chunk size, file id, key id length. */
const fixedHeaderBytes = magic.length + 1 + 4 + fileIdBytes + 1;
const wrappedKeyBytes = nonceBytes + dataKeyBytes + tagBytes;
/** index, flags, length (the part bound in the AAD), then the nonce. */
const chunkFieldsBytes = 8 + 1 + 4;
export const chunkHeaderBytes = chunkFieldsBytes + nonceBytes;
const finalFlag = 0x01;

/** Bytes a chunk holding `length` plaintext bytes takes in the file. */
export function sealedChunkBytes(length: number): number {
  return chunkHeaderBytes + length + tagBytes;
}

export type CiphertextFailureType =
  | typeof FailureType.CiphertextTampered
  | typeof FailureType.CiphertextTruncated
  | typeof FailureType.ChunksReordered
  | typeof FailureType.UnknownKeyId
  | typeof FailureType.UnsupportedFormat;

/** Why an encrypted file cannot be decrypted; `type` is one of {@link FailureType}. */
export class CiphertextError extends Error {
  override name = 'CiphertextError';
  constructor(
    readonly type: CiphertextFailureType,
    message: string,
  ) {
    super(message);
  }
}

const tampered = (message: string) => new CiphertextError(FailureType.CiphertextTampered, message);
const truncated = (message: string) => new CiphertextError(FailureType.CiphertextTruncated, message);

/** The keys and parameters of one encrypted file: seals chunks (encrypt) or opens them (decrypt). */
export class ChunkCipher {
  private constructor(
    /** The file's header bytes, as written at its start. */
    readonly header: Buffer,
    readonly keyId: string,
    readonly chunkSize: number,
    private readonly fileId: Buffer,
    private readonly dataKey: Buffer,
  ) {}

  /** A new file: a fresh random data key, wrapped by the ring's active master key. */
  static create(keys: KeyRing, chunkSize = defaultChunkSize): ChunkCipher {
    if (!Number.isInteger(chunkSize) || chunkSize < minChunkSize || chunkSize > maxChunkSize) {
      throw new RangeError(`chunk size must be an integer from ${minChunkSize} to ${maxChunkSize}`);
    }
    const master = keys.active;
    const keyId = Buffer.from(master.id, 'latin1');
    const fileId = randomBytes(fileIdBytes);
    const dataKey = randomBytes(dataKeyBytes);
    const prefix = Buffer.alloc(fixedHeaderBytes + keyId.length);
    magic.copy(prefix, 0);
    prefix.writeUInt8(formatVersion, 8);
    prefix.writeUInt32BE(chunkSize, 9);
    fileId.copy(prefix, 13);
    prefix.writeUInt8(keyId.length, 29);
    keyId.copy(prefix, fixedHeaderBytes);
    const header = Buffer.concat([prefix, wrapKey(master.key, dataKey, prefix)]);
    return new ChunkCipher(header, master.id, chunkSize, fileId, dataKey);
  }

  /** Read a file's header from the start of `reader` and unwrap its data key. */
  static async read(reader: ByteReader, keys: KeyRing): Promise<ChunkCipher> {
    const fixed = await reader.read(fixedHeaderBytes);
    const start = fixed.subarray(0, magic.length);
    if (!start.equals(magic.subarray(0, start.length)) || fixed.length === 0) {
      throw new CiphertextError(FailureType.UnsupportedFormat, 'not a longrun encrypted file');
    }
    if (fixed.length < fixedHeaderBytes) throw truncated('the file ends inside its header');
    const version = fixed.readUInt8(8);
    if (version !== formatVersion) {
      throw new CiphertextError(
        FailureType.UnsupportedFormat,
        `encrypted file format version ${version}; this worker reads version ${formatVersion}`,
      );
    }
    const chunkSize = fixed.readUInt32BE(9);
    const keyIdLength = fixed.readUInt8(29);
    if (
      chunkSize < minChunkSize ||
      chunkSize > maxChunkSize ||
      keyIdLength === 0 ||
      keyIdLength > maxKeyIdBytes
    ) {
      throw tampered('the header is impossible: it was changed');
    }
    const rest = await reader.read(keyIdLength + wrappedKeyBytes);
    if (rest.length < keyIdLength + wrappedKeyBytes) throw truncated('the file ends inside its header');
    const keyId = rest.subarray(0, keyIdLength).toString('latin1');
    const master = keys.get(keyId);
    if (!master) {
      throw new CiphertextError(
        FailureType.UnknownKeyId,
        `the data key is wrapped by master key "${keyId}", which this worker does not have (it has ${keys.ids.map((id) => `"${id}"`).join(', ')})`,
      );
    }
    const prefix = Buffer.concat([fixed, rest.subarray(0, keyIdLength)]);
    const wrapped = rest.subarray(keyIdLength);
    const dataKey = unwrapKey(master.key, wrapped, prefix);
    if (!dataKey) {
      throw tampered(`the header does not authenticate with master key "${keyId}": it was changed`);
    }
    return new ChunkCipher(
      Buffer.concat([prefix, wrapped]),
      keyId,
      chunkSize,
      fixed.subarray(13, 29),
      dataKey,
    );
  }

  /** Parse a header kept aside (e.g. in a checkpoint). */
  static fromHeader(header: Buffer, keys: KeyRing): Promise<ChunkCipher> {
    return ChunkCipher.read(new ByteReader([header]), keys);
  }

  /** Encrypt chunk `index`. Every chunk but the final one holds exactly `chunkSize` bytes. */
  seal(index: number, plaintext: Uint8Array, final: boolean): Buffer {
    const length = plaintext.byteLength;
    if (length > this.chunkSize || (!final && length !== this.chunkSize)) {
      throw new RangeError(
        `chunk ${index}: ${length} bytes (chunks hold ${this.chunkSize}, the final one fewer)`,
      );
    }
    const out = Buffer.allocUnsafe(sealedChunkBytes(length));
    writeIndex(out, index);
    out.writeUInt8(final ? finalFlag : 0, 8);
    out.writeUInt32BE(length, 9);
    const nonce = randomFillSync(out, chunkFieldsBytes, nonceBytes).subarray(
      chunkFieldsBytes,
      chunkHeaderBytes,
    );
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, nonce);
    cipher.setAAD(this.aad(out.subarray(0, chunkFieldsBytes)));
    cipher.update(plaintext).copy(out, chunkHeaderBytes);
    cipher.final();
    cipher.getAuthTag().copy(out, chunkHeaderBytes + length);
    return out;
  }

  /**
   * Read, authenticate and decrypt the chunk that must be chunk `index`. Throws a
   * {@link CiphertextError} saying what is wrong; nothing unauthenticated is ever returned.
   * @returns its plaintext, whether it is the final chunk, and how many file bytes it took.
   */
  async openNext(
    reader: ByteReader,
    index: number,
  ): Promise<{ plaintext: Buffer; final: boolean; bytes: number }> {
    const head = await reader.read(chunkHeaderBytes);
    if (head.length === 0) throw truncated(`the file ends after ${index} chunk(s), without its final chunk`);
    if (head.length < chunkHeaderBytes) throw truncated(`the file ends inside chunk ${index}`);
    const fields = head.subarray(0, chunkFieldsBytes);
    const nonce = head.subarray(chunkFieldsBytes);
    const flags = head.readUInt8(8);
    const length = head.readUInt32BE(9);
    const final = (flags & finalFlag) !== 0;
    if ((flags & ~finalFlag) !== 0 || length > this.chunkSize || (!final && length !== this.chunkSize)) {
      throw tampered(`chunk ${index} has an impossible header: the file was changed`);
    }
    const body = await reader.read(length + tagBytes);
    if (body.length < length + tagBytes) {
      // Cut short: truncated, unless what is there authenticates as a shorter chunk (only the length was changed).
      const shorter = body.length - tagBytes;
      if (shorter >= 0 && this.open(withLength(fields, shorter), nonce, body, shorter)) {
        throw tampered(`chunk ${index} has a changed length`);
      }
      throw truncated(`the file ends inside chunk ${index}`);
    }
    const plaintext = this.open(fields, nonce, body, length);
    if (!plaintext) {
      throw tampered(`chunk ${index} does not authenticate: it was changed, or comes from another file`);
    }
    const found = readIndex(head);
    if (found !== index) {
      throw new CiphertextError(
        FailureType.ChunksReordered,
        `chunk ${found} is where chunk ${index} belongs: chunks were reordered, repeated or removed`,
      );
    }
    if (final && !(await reader.atEnd())) throw tampered(`data follows the final chunk (${index})`);
    return { plaintext, final, bytes: sealedChunkBytes(length) };
  }

  private open(fields: Buffer, nonce: Buffer, body: Buffer, length: number): Buffer | undefined {
    const decipher = createDecipheriv('aes-256-gcm', this.dataKey, nonce);
    decipher.setAAD(this.aad(fields));
    decipher.setAuthTag(body.subarray(length, length + tagBytes));
    const plaintext = decipher.update(body.subarray(0, length));
    try {
      decipher.final();
      return plaintext;
    } catch {
      return undefined;
    }
  }

  private aad(fields: Buffer): Buffer {
    return Buffer.concat([this.fileId, fields], fileIdBytes + chunkFieldsBytes);
  }
}

function wrapKey(masterKey: Buffer, dataKey: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

function unwrapKey(masterKey: Buffer, wrapped: Buffer, aad: Buffer): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, nonceBytes));
  decipher.setAAD(aad);
  decipher.setAuthTag(wrapped.subarray(nonceBytes + dataKeyBytes));
  const dataKey = decipher.update(wrapped.subarray(nonceBytes, nonceBytes + dataKeyBytes));
  try {
    decipher.final();
    return dataKey;
  } catch {
    return undefined;
  }
}

/** Chunk indexes are 64-bit; a file would need 2^53 chunks to lose precision here. */
function writeIndex(out: Buffer, index: number): void {
  out.writeUInt32BE(Math.floor(index / 2 ** 32), 0);
  out.writeUInt32BE(index >>> 0, 4);
}

function readIndex(head: Buffer): number {
  return head.readUInt32BE(0) * 2 ** 32 + head.readUInt32BE(4);
}

function withLength(fields: Buffer, length: number): Buffer {
  const copy = Buffer.from(fields);
  copy.writeUInt32BE(length, 9);
  return copy;
}
