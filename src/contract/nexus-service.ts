/**
 * longrun's Nexus contract: the service `longrun`, with one operation per kind, named after the
 * kind. A workflow in another namespace calls it with Temporal's own Nexus client
 * (`createNexusServiceClient({ endpoint: 'longrun', service: longrunNexusService })`); the worker
 * implements it (src/nexus/operations.ts). Each operation starts a process exactly as
 * `POST /processes` does, so the same process is also readable over HTTP under the same id.
 *
 * This module is light on purpose: the kinds come in as types only, so caller workflows (in
 * Temporal's sandbox) and any other program import it without loading worker or API code.
 */
import { operation, service } from 'nexus-rpc';
import type { z } from 'zod';
import type { DecryptResult, decryptInput } from '../kinds/decrypt.js';
import type { DelayResult, delayInput } from '../kinds/delay.js';
import type { EncryptResult, encryptInput } from '../kinds/encrypt.js';
import type { KindName } from '../kinds/index.js';

/** The Nexus service's name (and the name `npm run stack` gives its endpoint). */
export const longrunNexusServiceName = 'longrun';

/**
 * The operations: input as a caller writes it (the kind's schema fills in defaults), output the
 * process's result. A failed process fails the operation with the process's error type; a
 * canceled one cancels it. Keyed by kind, so a kind without an operation does not compile.
 */
const operations = {
  delay: operation<z.input<typeof delayInput>, DelayResult>(),
  encrypt: operation<z.input<typeof encryptInput>, EncryptResult>(),
  decrypt: operation<z.input<typeof decryptInput>, DecryptResult>(),
} satisfies Record<KindName, unknown>;

/** The `longrun` Nexus service: every kind as an operation of the same name. */
export const longrunNexusService = service(longrunNexusServiceName, operations);

export type LongrunNexusService = typeof longrunNexusService;
