/**
 * The `delay` kind as the measures use it: the workflow start the API's gateway makes for it
 * (so raw baselines start exactly what `POST /processes` starts), and its policy in milliseconds
 * (scripts/delay-policy.ts).
 */
import { processStart } from '../../src/gateway/start-options.js';
import { kinds } from '../../src/kinds/index.js';
import { benchTenant } from './auth.js';

export type DelayInput = { seconds: number; steps: number };

/** Exactly what the API's gateway starts for this input (validated and normalized first, as the API does). */
export function rawStartOptions(taskQueue: string, input: DelayInput) {
  const command = { kind: 'delay' as const, input: kinds.delay.input.parse(input), selfUrl: () => '' };
  return processStart(benchTenant, command, { taskQueue, uiBaseUrl: 'http://localhost:8233' }).startOptions;
}

export { delayPolicyMs } from '../../scripts/delay-policy.js';
