/**
 * What a measure is. A measure is one file in bench/measures/ that exports one `defineMeasure({…})`
 * and has one line in bench/measures/index.ts. It has one or more steps, each on a stack (or on
 * none: BullMQ runs with no Temporal up); the runner runs every step guarded (errors, a time
 * limit, cleanup) and renders the measure's table rows and prose from what each step returned,
 * or why it did not.
 */
import type { Sizes } from './sizes.js';
import type { Stack, StackKind } from './stack.js';

/** What one step ended with: a value, a reason it failed, or a reason it did not run. */
export type Outcome<T> =
  | { status: 'ok'; value: T; seconds: number }
  | { status: 'failed'; reason: string; seconds: number }
  | { status: 'skipped'; reason: string };

/** Thrown by a step that cannot run here (e.g. redis-server missing): its row says so, not "failed". */
export class Skip extends Error {}

export interface StepContext {
  /** The step's stack; throws for steps `on: 'none'`. */
  readonly stack: Stack;
  /** A scratch folder of the step's own. */
  readonly dir: string;
  readonly sizes: Sizes;
  /** Aborts when the step's time limit is up: stop, the runner then cleans up. */
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
  /** Run this when the step (or, during a fixture's `open`, the fixture) is done, however it ended. */
  readonly defer: (cleanup: () => unknown) => void;
  /** The fixture's value, opened by the first step of the stack's run that uses it. */
  readonly use: <T>(fixture: Fixture<T>) => Promise<T>;
}

export interface Step<T> {
  on: StackKind | 'none';
  /** Shown in progress lines, e.g. "BullMQ, Redis durable". */
  label: string;
  /** Longest the step may take, before BENCH_TIME_SCALE. Several times what it takes here. */
  timeLimitSeconds(sizes: Sizes): number;
  /** Fixtures the step uses: kept open until the stack's last step that names them. */
  uses?: Fixture<unknown>[];
  run(ctx: StepContext): Promise<T>;
}

/**
 * Something several measures share on one stack (e.g. 1,000 open processes for P2 and P4).
 * Cleanups that `open` defers run when the fixture closes.
 */
export interface Fixture<T> {
  name: string;
  open(ctx: StepContext): Promise<T>;
}

export const defineFixture = <T>(fixture: Fixture<T>): Fixture<T> => fixture;

/** What rendering knows beside the outcomes. */
export interface ReportInfo {
  sizes: Sizes;
  quick: boolean;
}

/** One row of the results table: the measure id (or '' for a sub-row) and five cells. */
export type Row = [
  id: string,
  measure: string,
  longrun: string,
  baseline: string,
  ratio: string,
  target: string,
];

export type Outcomes<Values> = { [K in keyof Values]: Outcome<Values[K]> };

export interface Measure<Values extends Record<string, unknown>> {
  /** P1 … in the table; sorted by id there, run in registry order. */
  id: string;
  /** Short name, e.g. "start throughput". */
  title: string;
  steps: { [K in keyof Values]: Step<Values[K]> };
  /** Table rows; any step may have failed or been skipped. */
  rows(outcomes: Outcomes<Values>, info: ReportInfo): Row[];
  /** Values for the measure's section of bench/report/methods.md. */
  method(outcomes: Outcomes<Values>, info: ReportInfo): Record<string, unknown>;
  /** Rows for the report's machine table, e.g. the baseline's versions (the same key from two measures: one row). */
  machine?(outcomes: Outcomes<Values>): Record<string, string>;
}

/** A measure as the registry and the runner hold it, its step values no longer told apart. */
export interface AnyMeasure {
  id: string;
  title: string;
  steps: Record<string, Step<unknown>>;
  rows(outcomes: Record<string, Outcome<unknown>>, info: ReportInfo): Row[];
  method(outcomes: Record<string, Outcome<unknown>>, info: ReportInfo): Record<string, unknown>;
  machine?(outcomes: Record<string, Outcome<unknown>>): Record<string, string>;
}

export function defineMeasure<Values extends Record<string, unknown>>(measure: Measure<Values>): AnyMeasure {
  // The runner hands each step's outcome back under the step's own key, so the types line up.
  return measure;
}

/** The value of an outcome, or undefined. */
export const valueOf = <T>(outcome: Outcome<T> | undefined): T | undefined =>
  outcome?.status === 'ok' ? outcome.value : undefined;

/** Why an outcome has no value ("failed: …", "skipped: …"), for a table cell. */
export const whyNot = (outcome: Outcome<unknown> | undefined): string =>
  !outcome ? 'not run' : outcome.status === 'ok' ? '' : `${outcome.status}: ${outcome.reason}`;
