import { decryptKind } from './decrypt.js';
import { delayKind } from './delay.js';
import { encryptKind } from './encrypt.js';
import type { KindDefinition } from './kind-definition.js';

/**
 * Every kind of work longrun can run: kind name → definition (input schema, policy, summary,
 * start-time check). What the API needs; the runners are registered in `src/activities/runners.ts`.
 */
export const kinds = {
  delay: delayKind,
  encrypt: encryptKind,
  decrypt: decryptKind,
} satisfies Record<string, KindDefinition>;

export type KindName = keyof typeof kinds;

export const kindNames = Object.keys(kinds) as [KindName, ...KindName[]];
