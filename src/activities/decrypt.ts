import { z } from 'zod';
import { defaultContentType, mediaTypePattern, type ArtifactWriter } from '../artifacts/store.js';
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

/** Input of the `decrypt` kind: decrypt an artifact made by `encrypt` into a new one. */
export const decryptInput = z
  .object({
    artifactId: artifactIdField.describe('The encrypted artifact (the result of an `encrypt` process).'),
    contentType: z
      .string()
      .max(255)
      .regex(mediaTypePattern, 'Not a media type.')
      .default(defaultContentType)
      .describe('The media type to give the decrypted artifact.'),
  })
  .strict()
  .meta({ id: 'DecryptInput' });

export type DecryptInput = z.output<typeof decryptInput>;

export interface DecryptCheckpoint extends OutputCheckpoint {
  /** Bytes of the encrypted input consumed by the chunks done (header included). */
  inputBytes: number;
}

export interface DecryptResult {
  /** The decrypted artifact. */
  artifactId: string;
  size: number;
  sha256: string;
  /** The master key that wrapped the data key. */
  keyId: string;
  /** Chunks this attempt skipped because an earlier attempt had completed them. */
  resumedAfterChunk: number;
}

export interface DecryptOptions {
  checkpointEveryMs?: number;
}

/** The `decrypt` runner; `options` are for tests. */
export function createDecrypt(deps: RunnerDeps, options: DecryptOptions = {}) {
  const checkpointEveryMs = options.checkpointEveryMs ?? defaultCheckpointEveryMs;
  return async function decrypt({ artifactId, contentType }: DecryptInput): Promise<DecryptResult> {
    const { artifacts, keys } = artifactDeps(deps);
    const reporter = await ProgressReporter.start<DecryptCheckpoint>(
      deps.progress,
      { minIntervalMs: deps.progressIntervalMs },
      ({ chunks }) => `chunk ${chunks}`,
    );
    let output: ArtifactWriter | undefined;
    let reader: ByteReader | undefined;
    try {
      const source = await statInput(artifacts, artifactId);
      reader = new ByteReader(await artifacts.openRead(artifactId));
      // Read the header first: a file this worker cannot decrypt fails before any output exists.
      const cipher = await ChunkCipher.read(reader, keys);
      const previous = reporter.resumeFrom;
      const published = previous && (await artifacts.stat(previous.outputId));
      if (previous && published) {
        await reporter.flush();
        return { ...resultOf(published, cipher.keyId), resumedAfterChunk: previous.chunks };
      }

      let firstChunk = 0;
      let inputBytes = cipher.header.length;
      output = previous && (await resumeOutput(artifacts, previous, () => reporter.heartbeat()));
      if (output && previous) {
        firstChunk = previous.chunks;
        inputBytes = previous.inputBytes;
        await reader.close();
        reader = new ByteReader(await artifacts.openRead(artifactId, { start: inputBytes }));
      } else {
        output = await artifacts.openWriter();
      }
      const writer = output;
      const total = source.size;

      // Progress is reported with checkpoints only, so that it never runs ahead of what a retry keeps.
      const checkpoint = async (chunks: number): Promise<void> => {
        const outputBytes = await writer.flush();
        reporter.report(
          { percent: percentOf(inputBytes, total), message: `chunk ${chunks}` },
          { outputId: writer.id, outputBytes, chunks, inputBytes },
        );
      };
      await checkpoint(firstChunk);
      const clock = new CheckpointClock(checkpointEveryMs);

      const pacer = new Pacer(deps.throttleBytesPerSec);
      let chunks = firstChunk;
      for (let index = firstChunk; ; index++) {
        throwIfCancelled();
        const { plaintext, final, bytes } = await cipher.openNext(reader, index);
        await writer.write(plaintext);
        inputBytes += bytes;
        chunks = index + 1;
        await pacer.pace(bytes);
        if (final) break;
        if (clock.due(plaintext.length)) await checkpoint(chunks);
        else reporter.heartbeat();
      }

      const meta = await writer.commit(contentType);
      reporter.report({ percent: 100, message: `decrypted ${meta.size} bytes in ${chunks} chunks` });
      await reporter.flush();
      return { ...resultOf(meta, cipher.keyId), resumedAfterChunk: firstChunk };
    } catch (err) {
      if (output) await settleOutput(output, err);
      throw toFailure(err);
    } finally {
      await reader?.close();
    }
  };
}

function resultOf(meta: { id: string; size: number; sha256: string }, keyId: string) {
  return { artifactId: meta.id, size: meta.size, sha256: meta.sha256, keyId };
}

export const decryptKind = defineRunnerKind({
  input: decryptInput,
  policy: artifactRunnerPolicy,
  summarize: ({ artifactId }) => `artifact ${artifactId}`,
  check: artifactMustExist,
  create: (deps) => createDecrypt(deps),
});
