import { z } from 'zod';
import { FailureType } from '../contract/failure-types.js';
import { defineKind } from './kind-definition.js';

/** Input of the `delay` kind: be busy for a while, in steps (the original design's runner). */
export const delayInput = z
  .object({
    seconds: z.number().gt(0).lte(3600).describe('How long to be busy, in seconds (fractions allowed).'),
    steps: z.number().int().min(1).max(1000).default(10).describe('How many steps to report progress in.'),
    failAttempts: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(0)
      .describe('The first N attempts fail with a retryable error.'),
    fail: z.boolean().default(false).describe('Fail with a non-retryable error.'),
  })
  .strict()
  .meta({ id: 'DelayInput' });

export type DelayInput = z.output<typeof delayInput>;

/** What a `delay` process ends with. */
export interface DelayResult {
  seconds: number;
  steps: number;
  /** Steps this attempt skipped because an earlier attempt had completed them. */
  resumedAfterStep: number;
  attempt: number;
}

export const delayKind = defineKind({
  input: delayInput,
  policy: {
    // The longest delay is an hour; leave room for a slow worker.
    startToCloseTimeout: '75m',
    // A long, mostly idle kind: a keep-alive every 48 s (4/5 of this) is all a sleeping step
    // costs, plus the server's own heartbeat-timeout check once a timeout. Each is a write of the
    // workflow's state: at 20 s, 2,000 sleeping processes made ~260 writes/s, more than a SQLite
    // dev server sustains (bench S2). The trade: a dead worker is noticed within 60 s, and a
    // cancel reaches a step that reports no news within 48 s (a step's end brings it sooner).
    heartbeatTimeout: '60s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [FailureType.RequestedFailure, FailureType.InvalidRunnerInput],
    },
  },
  summarize: ({ seconds, steps }) => `${seconds}s in ${steps} steps`,
});
