import { decryptKind } from './decrypt.js';
import { delayKind } from './delay.js';
import { encryptKind } from './encrypt.js';
import type { RunnerKind } from './runner-kind.js';

/**
 * Every kind of work longrun can run: kind name → input schema, runner and policy.
 * Adding a kind: write its file next to `delay.ts`, then add one line here.
 */
export const runnerKinds = {
  delay: delayKind,
  encrypt: encryptKind,
  decrypt: decryptKind,
} satisfies Record<string, RunnerKind>;

export type KindName = keyof typeof runnerKinds;

export const kindNames = Object.keys(runnerKinds) as [KindName, ...KindName[]];
