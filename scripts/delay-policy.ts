/**
 * The `delay` kind's policy in milliseconds, for the harness shared by tests and benchmarks: what
 * recovery after a crash and a cancel's latency are compared against.
 */
import ms from 'ms';
import type { Duration } from '@temporalio/common';
import { kinds } from '../src/kinds/index.js';

const toMs = (duration: Duration | undefined): number =>
  duration === undefined ? 0 : typeof duration === 'number' ? duration : ms(duration);

export const delayPolicyMs = {
  heartbeatTimeout: toMs(kinds.delay.policy.heartbeatTimeout),
  firstRetryInterval: toMs(kinds.delay.policy.retry.initialInterval),
};
