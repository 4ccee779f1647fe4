import type { ArtifactStore } from '../artifacts/store.js';
import type { KeyRing } from '../crypto/keyring.js';
import type { ProgressSink } from './progress/sink.js';

/** What runners count beyond what an activity interceptor sees (the worker's metrics implement it). */
export interface RunnerMetrics {
  /** `bytes` more of the input processed by a runner of `kind`. */
  bytesProcessed(kind: string, bytes: number): void;
}

/** What every runner needs to report progress; built once per worker and injectable in tests. */
export interface ReportingDeps {
  progress: ProgressSink;
  /** Least time between two progress heartbeats (and before an attempt's first), in milliseconds. */
  progressIntervalMs: number;
  /** Where runners count what they process (default: nowhere). */
  metrics?: RunnerMetrics;
}

/** What the runners over artifacts (encrypt, decrypt) need besides reporting. */
export interface ArtifactJobDeps extends ReportingDeps {
  /** Where artifacts live. */
  artifacts: ArtifactStore;
  /** The master keys that wrap every encrypted file's data key. */
  keys: KeyRing;
  /** Testing aid: runners over bytes go no faster than this (`RUNNER_THROTTLE_BYTES_PER_SEC`). */
  throttleBytesPerSec?: number;
}

/** Everything the worker gives its runners: the union of what each kind needs. */
export type RunnerDeps = ReportingDeps & ArtifactJobDeps;
