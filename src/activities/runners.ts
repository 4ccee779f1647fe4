import type { z } from 'zod';
import type { KindName, kinds } from '../kinds/index.js';
import { createDecrypt } from './decrypt.js';
import { createDelay } from './delay.js';
import { createEncrypt } from './encrypt.js';
import { withAttemptOutcome } from './outcome.js';
import type { RunnerDeps } from './runner-deps.js';

/** A runner for each kind, taking exactly that kind's (validated) input. */
type RunnerFor = {
  [K in KindName]: (input: z.output<(typeof kinds)[K]['input']>) => Promise<unknown>;
};

/**
 * The worker's runners: one activity per kind, registered under the kind's name (its Temporal
 * activity type). Adding a kind: its definition in `src/kinds/`, its runner here.
 */
export function createRunners(deps: RunnerDeps) {
  return {
    delay: withAttemptOutcome(createDelay(deps)),
    encrypt: withAttemptOutcome(createEncrypt(deps)),
    decrypt: withAttemptOutcome(createDecrypt(deps)),
  } satisfies RunnerFor;
}

export type RunnerActivities = ReturnType<typeof createRunners>;
