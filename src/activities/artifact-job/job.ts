/**
 * The skeleton every runner that turns one artifact into another (encrypt, decrypt) shares:
 * resume from the previous attempt's checkpoint (or return what it already published), write
 * chunk after chunk with a durable checkpoint every so often, pace, commit, and clean up after a
 * failure. A kind plugs in only its cipher code, as an {@link ArtifactTransform}.
 */
import { Context } from '@temporalio/activity';
import type { ArtifactMeta, ArtifactWriter } from '../../artifacts/store.js';
import type { Progress } from '../../contract/resources.js';
import type { ArtifactJobResult } from '../../kinds/artifact-input.js';
import { ProgressReporter } from '../progress/reporter.js';
import type { ArtifactJobDeps } from '../runner-deps.js';
import { CheckpointClock, Pacer } from './clock.js';
import {
  resumeOutput,
  settleOutput,
  statInput,
  throwIfCancelled,
  toFailure,
  type OutputCheckpoint,
} from './output.js';

/** One chunk's worth of work: what to append to the output, and how much input it consumed. */
export interface TransformedChunk {
  output: Uint8Array;
  /** Bytes of the input this chunk consumed. */
  consumed: number;
  final: boolean;
}

/** A kind's cipher over one input, positioned at the chunk the job starts from. */
export interface ArtifactTransform<Extra> {
  /** The chunk this transform starts at (0 unless resuming). */
  readonly firstChunk: number;
  /** The master key whose wrapped data key the output's header holds. */
  readonly keyId: string;
  /** Transform chunk `index` (called with `firstChunk`, `firstChunk + 1`, … until `final`). */
  next(index: number): Promise<TransformedChunk>;
  /** Progress after `chunks` chunks (the skeleton clamps and rate-limits it). */
  progress(chunks: number): Progress;
  /** What the kind adds to every checkpoint, so that a retry can rebuild this transform. */
  checkpoint(): Extra;
  close(): Promise<void>;
}

/** How one kind opens its transform: fresh, or from the previous attempt's checkpoint. */
export interface ArtifactJobKind<Input extends { artifactId: string }, Extra> {
  /** The media type the output is published with. */
  contentType(input: Input): string;
  /**
   * Open the input before any output exists, so that an input this worker cannot read fails
   * without leaving output behind. Returns the key of the transform it will make, and ways to
   * make it: fresh (writing any header to `output`) or resumed after the previous checkpoint.
   */
  open(source: ArtifactMeta, deps: ArtifactJobDeps): Promise<OpenedInput<Extra>>;
  /** How a finished job's last progress message reads. */
  finished(meta: ArtifactMeta, chunks: number, source: ArtifactMeta): string;
}

export interface OpenedInput<Extra> {
  /** The master key of an output published by the previous attempt (from its checkpoint). */
  publishedKeyId(previous: OutputCheckpoint & Extra): string;
  begin(output: ArtifactWriter): Promise<ArtifactTransform<Extra>>;
  resume(previous: OutputCheckpoint & Extra): Promise<ArtifactTransform<Extra>>;
  close(): Promise<void>;
}

export interface ArtifactJobOptions {
  checkpointEveryMs: number;
}

/** Run one attempt of an artifact job: the body of the encrypt and decrypt activities. */
export async function runArtifactJob<Input extends { artifactId: string }, Extra>(
  kind: ArtifactJobKind<Input, Extra>,
  deps: ArtifactJobDeps,
  options: ArtifactJobOptions,
  input: Input,
): Promise<ArtifactJobResult> {
  type Checkpoint = OutputCheckpoint & Extra;
  const { artifacts } = deps;
  const reporter = ProgressReporter.start<Checkpoint>(deps, ({ chunks }) => `chunk ${chunks}`);
  let output: ArtifactWriter | undefined;
  let opened: OpenedInput<Extra> | undefined;
  let transform: ArtifactTransform<Extra> | undefined;
  try {
    const source = await statInput(artifacts, input.artifactId);
    opened = await kind.open(source, deps);
    const previous = reporter.resumeFrom;
    // The previous attempt may have published its output just before it died.
    const published = previous && (await artifacts.stat(previous.outputId));
    if (previous && published) {
      return resultOf(published, opened.publishedKeyId(previous), previous.chunks);
    }

    output = previous && (await resumeOutput(artifacts, previous));
    if (output && previous) {
      transform = await opened.resume(previous);
    } else {
      output = await artifacts.openWriter();
      transform = await opened.begin(output);
    }
    const writer = output;
    const running = transform;

    // Progress is reported with checkpoints only, so that it never runs ahead of what a retry keeps.
    let checkpointed = -1;
    const checkpoint = async (chunks: number): Promise<void> => {
      checkpointed = chunks;
      const outputBytes = await writer.flush();
      const recorded: Checkpoint = { ...running.checkpoint(), outputId: writer.id, outputBytes, chunks };
      reporter.report(running.progress(chunks), recorded);
    };
    await checkpoint(running.firstChunk);

    const clock = new CheckpointClock(options.checkpointEveryMs);
    const pacer = new Pacer(deps.throttleBytesPerSec);
    const kindName = Context.current().info.activityType;
    let chunks = running.firstChunk;
    for (let index = running.firstChunk; ; index++) {
      // The worker is shutting down: make every chunk so far durable, so the next attempt starts here.
      if (reporter.workerShuttingDown && checkpointed < chunks) await checkpoint(chunks);
      throwIfCancelled();
      const chunk = await running.next(index);
      await writer.write(chunk.output);
      chunks = index + 1;
      deps.metrics?.bytesProcessed(kindName, chunk.consumed);
      await pacer.pace(chunk.consumed);
      if (chunk.final) break;
      if (clock.due(chunk.consumed)) await checkpoint(chunks);
    }

    // The output is the tenant's whose input it was.
    const meta = await writer.commit(kind.contentType(input), source.tenant);
    reporter.report({ percent: 100, message: kind.finished(meta, chunks, source) });
    return resultOf(meta, running.keyId, running.firstChunk);
  } catch (err) {
    if (output) await settleOutput(output, err);
    throw toFailure(err);
  } finally {
    reporter.close();
    await transform?.close();
    await opened?.close();
  }
}

function resultOf(meta: ArtifactMeta, keyId: string, resumedAfterChunk: number): ArtifactJobResult {
  return { artifactId: meta.id, size: meta.size, sha256: meta.sha256, keyId, resumedAfterChunk };
}

/** Percent of `done` out of `total`, for progress. */
export function percentOf(done: number, total: number): number {
  return total > 0 ? (done / total) * 100 : 0;
}
