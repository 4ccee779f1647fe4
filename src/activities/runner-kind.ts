import type { z } from 'zod';
import type { RunnerPolicy } from '../shared/runner-policy.js';
import type { ProgressSink } from './progress.js';

/** What every runner may use; built once per worker and injectable in tests. */
export interface RunnerDeps {
  progress: ProgressSink;
  /** Minimum spacing of progress signals, in milliseconds. */
  progressIntervalMs: number;
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
  /** Builds the activity (its Temporal activity type is the kind's name). */
  create(deps: RunnerDeps): (input: z.output<Schema>) => Promise<Result>;
}

/** Identity function that keeps a kind's types precise. */
export function defineRunnerKind<Schema extends z.ZodType, Result>(
  kind: RunnerKind<Schema, Result>,
): RunnerKind<Schema, Result> {
  return kind;
}
