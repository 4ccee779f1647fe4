import type { z } from 'zod';
import type { ArtifactStore } from '../artifacts/store.js';
import type { KeyRing } from '../crypto/keyring.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import type { ProgressSink } from './progress.js';

/** What every runner may use; built once per worker and injectable in tests. */
export interface RunnerDeps {
  progress: ProgressSink;
  /** Minimum spacing of progress signals, in milliseconds. */
  progressIntervalMs: number;
  /** Where artifacts live (the `encrypt` and `decrypt` kinds; optional for tests of other kinds). */
  artifacts?: ArtifactStore;
  /** Master keys (the `encrypt` and `decrypt` kinds; optional for tests of other kinds). */
  keys?: KeyRing;
  /** Testing aid: runners over bytes go no faster than this (`RUNNER_THROTTLE_BYTES_PER_SEC`). */
  throttleBytesPerSec?: number;
}

/** What a kind's {@link RunnerKind.check} may consult; the API builds it once. */
export interface RunnerCheckDeps {
  artifacts: ArtifactStore;
}

/** One unusable field of a kind's input, located by JSON Pointer into the input. */
export interface InputProblem {
  pointer: string;
  detail: string;
}

/**
 * Everything longrun needs to know about one kind of work. Adding a kind is one file that
 * exports one of these, and one line in `registry.ts`.
 */
export interface RunnerKind<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  /** Validates and normalizes `input` at `POST /processes`; also documents it in OpenAPI. */
  input: Schema;
  policy: RunnerPolicy;
  /** One line for the Web UI (workflow and activity summary), e.g. "delay 20s in 10 steps". */
  summarize(input: z.output<Schema>): string;
  /**
   * Optional check at `POST /processes`, after the schema: refuse input that is well-formed but
   * unusable (e.g. it names an artifact that does not exist), so that no process starts.
   */
  check?(input: z.output<Schema>, deps: RunnerCheckDeps): Promise<InputProblem[] | undefined>;
  /** Builds the activity (its Temporal activity type is the kind's name). */
  create(deps: RunnerDeps): (input: z.output<Schema>) => Promise<Result>;
}

/** Identity function that keeps a kind's types precise. */
export function defineRunnerKind<Schema extends z.ZodType, Result>(
  kind: RunnerKind<Schema, Result>,
): RunnerKind<Schema, Result> {
  return kind;
}
