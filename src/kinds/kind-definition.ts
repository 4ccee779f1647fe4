import type { z } from 'zod';
import type { ArtifactStore } from '../artifacts/store.js';
import type { RunnerPolicy } from '../shared/runner-policy.js';

/** What a kind's start-time check may consult; the API builds it for each start. */
export interface KindServices {
  artifacts: ArtifactStore;
  /** The tenant starting the process: it may name only its own artifacts. */
  tenant: string;
}

/** One unusable field of a kind's input, located by JSON Pointer into the input. */
export interface InputProblem {
  pointer: string;
  detail: string;
}

/**
 * What the API needs to know about one kind of work: how to validate and describe a start, and
 * how the orchestrator must run it. The runner itself (worker-only code) lives in
 * `src/activities/`, so the API never loads it. Adding a kind: one definition here, one runner
 * there, one line in each registry.
 */
export interface KindDefinition<Schema extends z.ZodType = z.ZodType> {
  /** Validates and normalizes `input` at `POST /processes`; also documents it in OpenAPI. */
  input: Schema;
  policy: RunnerPolicy;
  /** One line for the Web UI (workflow and activity summary), e.g. "20s in 10 steps". */
  summarize(input: z.output<Schema>): string;
  /**
   * Optional check at `POST /processes`, after the schema: refuse input that is well-formed but
   * unusable (e.g. it names an artifact that does not exist), so that no process starts.
   */
  check?(input: z.output<Schema>, services: KindServices): Promise<InputProblem[] | undefined>;
}

/** Identity function that keeps a kind's types precise. */
export function defineKind<Schema extends z.ZodType>(kind: KindDefinition<Schema>): KindDefinition<Schema> {
  return kind;
}
