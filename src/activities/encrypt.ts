import { z } from 'zod';
import type { ArtifactWriter } from '../artifacts/store.js';
import { ByteReader } from '../crypto/byte-reader.js';
import { ChunkCipher } from '../crypto/chunk-format.js';
import {
  artifactDeps,
  artifactIdField,
  artifactMustExist,
  artifactRunnerPolicy,
  CheckpointClock,
  defaultCheckpointEveryMs,
  Pacer,
  percentOf,
  resumeOutput,
  settleOutput,
  statInput,
  throwIfCancelled,
  toFailure,
  type OutputCheckpoint,
} from './artifact-job.js';
import { ProgressReporter } from './progress.js';
import { defineRunnerKind, type RunnerDeps } from './runner-kind.js';

/** Input of the `encrypt` kind: encrypt one artifact into a new one. */
export const encryptInput = z
  .object({
    artifactId: artifactIdField.describe('The artifact to encrypt.'),
  })
  .strict()
  .meta({ id: 'EncryptInput' });

export type EncryptInput = z.output<typeof encryptInput>;

export interface EncryptCheckpoint extends OutputCheckpoint {
  /** The output's header (base64): its wrapped data key, which a retry must keep using. */
  header: string;
  keyId: string;
}

export interface EncryptResult {
  /** The encrypted artifact. */
  artifactId: string;
  size: number;
  sha256: string;
  /** The master key that wraps its data key (keep it while the artifact is to be decrypted). */
  keyId: string;
  /** Chunks this attempt skipped because an earlier attempt had completed them. */
  resumedAfterChunk: number;
}

/** What an encrypted artifact is served as. */
export const encryptedContentType = 'application/vnd.longrun.encrypted';

export interface EncryptOptions {
  checkpointEveryMs?: number;
  /** Plaintext bytes per chunk (tests use small ones). */
  chunkSize?: number;
}

/** The `encrypt` runner; `options` are for tests. */
export function createEncrypt(deps: RunnerDeps, options: EncryptOptions = {}) {
  const checkpointEveryMs = options.checkpointEveryMs ?? defaultCheckpointEveryMs;
  return async function encrypt({ artifactId }: EncryptInput): Promise<EncryptResult> {
    const { artifacts, keys } = artifactDeps(deps);
    const reporter = await ProgressReporter.start<EncryptCheckpoint>(
      deps.progress,
      { minIntervalMs: deps.progressIntervalMs },
      ({ chunks }) => `chunk ${chunks}`,
    );
    let output: ArtifactWriter | undefined;
    try {
      const source = await statInput(artifacts, artifactId);
      const previous = reporter.resumeFrom;
      // The previous attempt may have published its output just before it died.
      const published = previous && (await artifacts.stat(previous.outputId));
      if (previous && published) {
        await reporter.flush();
        return { ...resultOf(published, previous.keyId), resumedAfterChunk: previous.chunks };
      }

      let cipher: ChunkCipher;
      let firstChunk = 0;
      output = previous && (await resumeOutput(artifacts, previous, () => reporter.heartbeat()));
      if (output && previous) {
        // Same data key as the chunks already written (unwrapped again: keys never go in heartbeats).
        cipher = await ChunkCipher.fromHeader(Buffer.from(previous.header, 'base64'), keys);
        firstChunk = previous.chunks;
      } else {
        output = await artifacts.openWriter();
        cipher = ChunkCipher.create(keys, options.chunkSize);
        await output.write(cipher.header);
      }
      const writer = output;
      const { chunkSize } = cipher;
      const total = source.size;
      const totalChunks = Math.max(1, Math.ceil(total / chunkSize));

      // Progress is reported with checkpoints only, so that it never runs ahead of what a retry keeps.
      const checkpoint = async (chunks: number): Promise<void> => {
        const outputBytes = await writer.flush();
        reporter.report(
          { percent: percentOf(chunks * chunkSize, total), message: `chunk ${chunks}/${totalChunks}` },
          {
            outputId: writer.id,
            outputBytes,
            chunks,
            header: cipher.header.toString('base64'),
            keyId: cipher.keyId,
          },
        );
      };
      await checkpoint(firstChunk);
      const clock = new CheckpointClock(checkpointEveryMs);

      const pacer = new Pacer(deps.throttleBytesPerSec);
      const reader = new ByteReader(await artifacts.openRead(artifactId, { start: firstChunk * chunkSize }));
      try {
        for (let index = firstChunk; ; index++) {
          throwIfCancelled();
          const plaintext = await reader.read(chunkSize);
          const final = plaintext.length < chunkSize || (await reader.atEnd());
          await writer.write(cipher.seal(index, plaintext, final));
          await pacer.pace(plaintext.length);
          if (final) break;
          if (clock.due(plaintext.length)) await checkpoint(index + 1);
          else reporter.heartbeat();
        }
      } finally {
        await reader.close();
      }

      const meta = await writer.commit(encryptedContentType);
      reporter.report({ percent: 100, message: `encrypted ${total} bytes in ${totalChunks} chunks` });
      await reporter.flush();
      return { ...resultOf(meta, cipher.keyId), resumedAfterChunk: firstChunk };
    } catch (err) {
      if (output) await settleOutput(output, err);
      throw toFailure(err);
    }
  };
}

function resultOf(meta: { id: string; size: number; sha256: string }, keyId: string) {
  return { artifactId: meta.id, size: meta.size, sha256: meta.sha256, keyId };
}

export const encryptKind = defineRunnerKind({
  input: encryptInput,
  policy: artifactRunnerPolicy,
  summarize: ({ artifactId }) => `artifact ${artifactId}`,
  check: artifactMustExist,
  create: (deps) => createEncrypt(deps),
});
