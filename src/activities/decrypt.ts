import { ByteReader } from '../crypto/byte-reader.js';
import { ChunkCipher } from '../crypto/chunk-format.js';
import type { DecryptInput, DecryptResult } from '../kinds/decrypt.js';
import { defaultCheckpointEveryMs } from './artifact-job/clock.js';
import {
  percentOf,
  runArtifactJob,
  type ArtifactJobKind,
  type ArtifactTransform,
} from './artifact-job/job.js';
import type { OutputCheckpoint } from './artifact-job/output.js';
import type { ArtifactJobDeps } from './runner-deps.js';

/** What `decrypt` adds to a checkpoint: where in the encrypted input the next chunk starts. */
interface DecryptExtra {
  /** Bytes of the encrypted input consumed by the chunks done (header included). */
  inputBytes: number;
}

export type DecryptCheckpoint = OutputCheckpoint & DecryptExtra;

export interface DecryptOptions {
  checkpointEveryMs?: number;
}

/** The decrypt cipher: the header names the data key; every chunk is authenticated in order. */
const decryption: ArtifactJobKind<DecryptInput, DecryptExtra> = {
  contentType: ({ contentType }) => contentType,
  finished: (meta, chunks) => `decrypted ${meta.size} bytes in ${chunks} chunks`,
  async open(source, { artifacts, keys }) {
    let reader = new ByteReader(await artifacts.openRead(source.id));
    let cipher: ChunkCipher;
    try {
      // Read the header first: a file this worker cannot decrypt fails before any output exists.
      cipher = await ChunkCipher.read(reader, keys);
    } catch (err) {
      await reader.close();
      throw err;
    }
    const transformAt = (firstChunk: number, inputBytes: number): ArtifactTransform<DecryptExtra> => {
      let consumed = inputBytes;
      return {
        firstChunk,
        keyId: cipher.keyId,
        async next(index) {
          const { plaintext, final, bytes } = await cipher.openNext(reader, index);
          consumed += bytes;
          return { output: plaintext, consumed: bytes, final };
        },
        progress: (chunks) => ({ percent: percentOf(consumed, source.size), message: `chunk ${chunks}` }),
        checkpoint: () => ({ inputBytes: consumed }),
        close: () => Promise.resolve(), // the reader belongs to the opened input
      };
    };
    return {
      publishedKeyId: () => cipher.keyId,
      begin: () => Promise.resolve(transformAt(0, cipher.header.length)),
      async resume(previous) {
        await reader.close();
        reader = new ByteReader(await artifacts.openRead(source.id, { start: previous.inputBytes }));
        return transformAt(previous.chunks, previous.inputBytes);
      },
      close: () => reader.close(),
    };
  },
};

/** The `decrypt` runner; `options` are for tests. */
export function createDecrypt(deps: ArtifactJobDeps, options: DecryptOptions = {}) {
  const checkpointEveryMs = options.checkpointEveryMs ?? defaultCheckpointEveryMs;
  return async function decrypt(input: DecryptInput): Promise<DecryptResult> {
    return runArtifactJob(decryption, deps, { checkpointEveryMs }, input);
  };
}
