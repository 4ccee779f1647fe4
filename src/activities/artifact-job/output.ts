/** The output artifact of a job over artifacts: resuming it, and what to keep of it after a failure. */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import {
  ArtifactNotFoundError,
  PartialNotFoundError,
  type ArtifactMeta,
  type ArtifactStore,
  type ArtifactWriter,
} from '../../artifacts/store.js';
import { FailureType } from '../../contract/failure-types.js';
import { CiphertextError } from '../../crypto/chunk-format.js';

/** Where a retry carries on: the partial output and how much of it is durable. */
export interface OutputCheckpoint {
  /** The partial output (also the id it is published under). */
  outputId: string;
  /** Durable length of the partial output. */
  outputBytes: number;
  /** Chunks done (their output is within `outputBytes`). */
  chunks: number;
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
): Promise<ArtifactWriter | undefined> {
  const ctx = Context.current();
  try {
    // A long copy needs no heartbeats of its own: the progress reporter keeps the attempt alive.
    return await artifacts.openWriter({
      resumeFrom: { id: checkpoint.outputId, length: checkpoint.outputBytes },
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
