import { ByteReader } from '../crypto/byte-reader.js';
import { ChunkCipher } from '../crypto/chunk-format.js';
import { encryptedContentType, type EncryptInput, type EncryptResult } from '../kinds/encrypt.js';
import { defaultCheckpointEveryMs } from './artifact-job/clock.js';
import {
  percentOf,
  runArtifactJob,
  type ArtifactJobKind,
  type ArtifactTransform,
} from './artifact-job/job.js';
import type { OutputCheckpoint } from './artifact-job/output.js';
import type { ArtifactJobDeps } from './runner-deps.js';

/** What `encrypt` adds to a checkpoint: the output's header, whose wrapped data key a retry must keep using. */
interface EncryptExtra {
  /** The output's header (base64). */
  header: string;
  keyId: string;
}

export type EncryptCheckpoint = OutputCheckpoint & EncryptExtra;

export interface EncryptOptions {
  checkpointEveryMs?: number;
  /** Plaintext bytes per chunk (tests use small ones). */
  chunkSize?: number;
}

const chunksOf = (size: number, chunkSize: number): number => Math.max(1, Math.ceil(size / chunkSize));

/** The encrypt cipher: a fresh data key per file, each chunk sealed on its own. */
function encryption(chunkSize: number | undefined): ArtifactJobKind<EncryptInput, EncryptExtra> {
  return {
    contentType: () => encryptedContentType,
    finished: (_meta, chunks, source) => `encrypted ${source.size} bytes in ${chunks} chunks`,
    open(source, { artifacts, keys }) {
      const transformFrom = async (
        cipher: ChunkCipher,
        firstChunk: number,
      ): Promise<ArtifactTransform<EncryptExtra>> => {
        const size = cipher.chunkSize;
        const totalChunks = chunksOf(source.size, size);
        const reader = new ByteReader(await artifacts.openRead(source.id, { start: firstChunk * size }));
        return {
          firstChunk,
          keyId: cipher.keyId,
          async next(index) {
            const plaintext = await reader.read(size);
            const final = plaintext.length < size || (await reader.atEnd());
            return { output: cipher.seal(index, plaintext, final), consumed: plaintext.length, final };
          },
          progress: (chunks) => ({
            percent: percentOf(chunks * size, source.size),
            message: `chunk ${chunks}/${totalChunks}`,
          }),
          checkpoint: () => ({ header: cipher.header.toString('base64'), keyId: cipher.keyId }),
          close: () => reader.close(),
        };
      };
      return Promise.resolve({
        publishedKeyId: (previous) => previous.keyId,
        async begin(output) {
          const cipher = ChunkCipher.create(keys, chunkSize);
          await output.write(cipher.header);
          return transformFrom(cipher, 0);
        },
        async resume(previous) {
          // Same data key as the chunks already written (unwrapped again: keys never go in heartbeats).
          const cipher = await ChunkCipher.fromHeader(Buffer.from(previous.header, 'base64'), keys);
          return transformFrom(cipher, previous.chunks);
        },
        close: () => Promise.resolve(),
      });
    },
  };
}

/** The `encrypt` runner; `options` are for tests. */
export function createEncrypt(deps: ArtifactJobDeps, options: EncryptOptions = {}) {
  const checkpointEveryMs = options.checkpointEveryMs ?? defaultCheckpointEveryMs;
  return async function encrypt(input: EncryptInput): Promise<EncryptResult> {
    return runArtifactJob(encryption(options.chunkSize), deps, { checkpointEveryMs }, input);
  };
}
