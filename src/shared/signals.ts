import { defineSignal } from '@temporalio/workflow';
import type { Progress } from '../contract/resources.js';

/** A runner attempt has really started (sent by the runner itself, once per attempt). */
export interface RunnerStarted {
  attempt: number;
  /** The checkpoint step the attempt resumes after, if any (for the progress message). */
  resumedFrom?: string;
}

/** A runner reports progress (rate-limited by the runner; see `ProgressReporter`). */
export interface RunnerProgress extends Progress {
  attempt: number;
}

export const runnerStartedSignal = defineSignal<[RunnerStarted]>('runnerStarted');
export const runnerProgressSignal = defineSignal<[RunnerProgress]>('runnerProgress');
