/**
 * The `delay` kind as the measures use it: the workflow start the API's gateway makes for it
 * (so raw baselines start exactly what `POST /processes` starts), and its policy in milliseconds.
 */
import ms from 'ms';
import { runnerKinds } from '../../src/activities/registry.js';
import { processStart } from '../../src/api/temporal-gateway.js';
import type { Duration } from '../../src/shared/runner-policy.js';

export type DelayInput = { seconds: number; steps: number };

/** Exactly what the API's gateway starts for this input (validated and normalized first, as the API does). */
export function rawStartOptions(taskQueue: string, input: DelayInput) {
  const command = { kind: 'delay' as const, input: runnerKinds.delay.input.parse(input), selfUrl: () => '' };
  return processStart(command, { taskQueue, uiBaseUrl: 'http://localhost:8233' }).startOptions;
}

const toMs = (duration: Duration): number => (typeof duration === 'number' ? duration : ms(duration));

/** The delay kind's policy, in milliseconds: what recovery after a crash is compared against. */
export const delayPolicyMs = {
  heartbeatTimeout: toMs(runnerKinds.delay.policy.heartbeatTimeout),
  firstRetryInterval: toMs(runnerKinds.delay.policy.retry.initialInterval),
};
