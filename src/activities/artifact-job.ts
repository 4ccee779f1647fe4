/** What the runners that turn one artifact into another (encrypt, decrypt) have in common. */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import {
  ArtifactNotFoundError,
  PartialNotFoundError,
  type ArtifactMeta,
  type ArtifactStore,
  type ArtifactWriter,
} from '../artifacts/store.js';
import { CiphertextError } from '../crypto/chunk-format.js';
import type { KeyRing } from '../crypto/keyring.js';
import { FailureType } from '../shared/failures.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import type { InputProblem, RunnerCheckDeps, RunnerDeps } from './runner-kind.js';

export const artifactIdField = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'Not an artifact id (32 lowercase hex digits).')
  .meta({ example: '3f8c2a7d9b1e4c6a8f0d2b4e6a8c0e1f' });

/** Refused at `POST /processes` so that no process starts on an artifact that is not there. */
export async function artifactMustExist(
  { artifactId }: { artifactId: string },
  { artifacts }: RunnerCheckDeps,
): Promise<InputProblem[] | undefined> {
  if (await artifacts.stat(artifactId)) return undefined;
  return [{ pointer: '/artifactId', detail: `No artifact has id "${artifactId}".` }];
}

/** Integrity failures: retrying cannot help, and the input was not what it claimed to be. */
export const artifactRunnerPolicy: RunnerPolicy = {
  // 1 GiB at a slow few MiB/s, with room to spare.
  startToCloseTimeout: '2h',
  heartbeatTimeout: '5s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [
      FailureType.InvalidRunnerInput,
      FailureType.ArtifactNotFound,
      FailureType.UnsupportedFormat,
      FailureType.UnknownKeyId,
      FailureType.CiphertextTampered,
      FailureType.CiphertextTruncated,
      FailureType.ChunksReordered,
    ],
  },
};

/** How often a runner makes its output durable and heartbeats a checkpoint. */
export const defaultCheckpointEveryMs = 500;
/** …and at least every this many bytes, so that one fsync never outlasts the heartbeat timeout. */
const checkpointEveryBytes = 64 * 1024 * 1024;

/** When the next checkpoint is due: after some time or some bytes, whichever comes first. */
export class CheckpointClock {
  private at = Date.now();
  private bytes = 0;

  constructor(private readonly everyMs: number) {}

  /** Count `bytes` just written; true when a checkpoint is due (and the clock restarts). */
  due(bytes: number): boolean {
    this.bytes += bytes;
    if (Date.now() - this.at < this.everyMs && this.bytes < checkpointEveryBytes) return false;
    this.at = Date.now();
    this.bytes = 0;
    return true;
  }
}

/** Where a retry carries on: the partial output and how much of it is durable. */
export interface OutputCheckpoint {
  /** The partial output (also the id it is published under). */
  outputId: string;
  /** Durable length of the partial output. */
  outputBytes: number;
  /** Chunks done (their output is within `outputBytes`). */
  chunks: number;
}

/** The store and keys, which `RunnerDeps` leaves optional for tests of kinds that need neither. */
export function artifactDeps(deps: RunnerDeps): { artifacts: ArtifactStore; keys: KeyRing } {
  const { artifacts, keys } = deps;
  // A worker wired without them is misconfigured, not the input: fail retryably, loudly.
  if (!artifacts || !keys) throw new Error('this worker has no artifact store or master keys');
  return { artifacts, keys };
}

export async function statInput(artifacts: ArtifactStore, id: string): Promise<ArtifactMeta> {
  const meta = await artifacts.stat(id);
  if (!meta) throw new ArtifactNotFoundError(id);
  return meta;
}

/**
 * The previous attempt's output, if its checkpoint can be carried on from; `undefined` to start
 * over (its partial output is gone, e.g. the store is a folder another machine cannot see).
 */
export async function resumeOutput(
  artifacts: ArtifactStore,
  checkpoint: OutputCheckpoint,
  heartbeat: () => void,
): Promise<ArtifactWriter | undefined> {
  const ctx = Context.current();
  try {
    return await artifacts.openWriter({
      resumeFrom: { id: checkpoint.outputId, length: checkpoint.outputBytes },
      onCopied: heartbeat,
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    if (!(err instanceof PartialNotFoundError)) throw err;
    ctx.log.warn('cannot resume, starting over', { error: err.message });
    return undefined;
  }
}

/** Heartbeats deliver a cancellation; this stops at the next chunk once one has arrived. */
export function throwIfCancelled(): void {
  const { cancellationSignal } = Context.current();
  if (!cancellationSignal.aborted) return;
  const reason: unknown = cancellationSignal.reason;
  throw reason instanceof Error ? reason : new CancelledFailure('CANCELLED');
}

/**
 * After a failure: remove the partial output if nothing will ever resume it (the failure is
 * final, the process was canceled, or this was the last attempt); otherwise keep it for the retry.
 */
export async function settleOutput(output: ArtifactWriter, err: unknown): Promise<void> {
  if (isFinal(err)) await output.abort();
  else await output.close();
}

function isFinal(err: unknown): boolean {
  if (err instanceof CiphertextError || err instanceof ArtifactNotFoundError) return true;
  if (err instanceof ApplicationFailure && err.nonRetryable) return true;
  const ctx = Context.current();
  if (ctx.cancellationSignal.aborted) {
    // A worker shutting down or a heartbeat timeout: another attempt will follow, and resume.
    const details = ctx.cancellationDetails;
    return !details || details.cancelRequested || details.notFound;
  }
  const maximumAttempts = ctx.info.retryPolicy?.maximumAttempts ?? 0;
  return maximumAttempts > 0 && ctx.info.attempt >= maximumAttempts;
}

/** Typed, non-retryable failures for what retrying cannot fix. */
export function toFailure(err: unknown): unknown {
  if (err instanceof CiphertextError) return ApplicationFailure.nonRetryable(err.message, err.type);
  if (err instanceof ArtifactNotFoundError) {
    return ApplicationFailure.nonRetryable(err.message, FailureType.ArtifactNotFound);
  }
  return err;
}

/** Testing aid (`RUNNER_THROTTLE_BYTES_PER_SEC`): holds a runner to a byte rate, cancellably. */
export class Pacer {
  private readonly startedAt = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number | undefined) {}

  async pace(bytes: number): Promise<void> {
    if (!this.bytesPerSecond) return;
    this.bytes += bytes;
    const wait = this.startedAt + (this.bytes / this.bytesPerSecond) * 1000 - Date.now();
    if (wait > 0) await Context.current().sleep(wait);
  }
}

/** Percent of `done` out of `total`, for progress. */
export function percentOf(done: number, total: number): number {
  return total > 0 ? (done / total) * 100 : 0;
}
