/** What the kinds over artifacts (encrypt, decrypt) share in their definitions. */
import { z } from 'zod';
import { FailureType } from '../contract/failure-types.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import type { InputProblem, KindServices } from './kind-definition.js';

export const artifactIdField = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'Not an artifact id (32 lowercase hex digits).')
  .meta({ example: '3f8c2a7d9b1e4c6a8f0d2b4e6a8c0e1f' });

/**
 * Refused at `POST /processes` so that no process starts on an artifact that is not there; one of
 * another tenant is refused exactly the same way, so that its existence does not show.
 */
export async function artifactMustExist(
  { artifactId }: { artifactId: string },
  { artifacts, tenant }: KindServices,
): Promise<InputProblem[] | undefined> {
  const meta = await artifacts.stat(artifactId);
  if (meta && meta.tenant === tenant) return undefined;
  return [{ pointer: '/artifactId', detail: `No artifact has id "${artifactId}".` }];
}

/** Integrity failures: retrying cannot help, and the input was not what it claimed to be. */
export const artifactKindPolicy: RunnerPolicy = {
  // 1 GiB at a slow few MiB/s, with room to spare.
  startToCloseTimeout: '2h',
  // Busy kinds: they checkpoint (news) every 0.5 s, so they heartbeat every second anyway and a
  // cancel reaches them within one; the timeout only bounds how long a dead worker goes unnoticed,
  // with room for one slow fsync of a 64 MiB checkpoint.
  heartbeatTimeout: '10s',
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

/** What an encrypt or decrypt process ends with: the artifact it wrote. */
export interface ArtifactJobResult {
  /** The artifact written. */
  artifactId: string;
  size: number;
  sha256: string;
  /** The master key that wraps its data key (keep it while the artifact is to be decrypted). */
  keyId: string;
  /** Chunks this attempt skipped because an earlier attempt had completed them. */
  resumedAfterChunk: number;
}
