import { z } from 'zod';
import {
  artifactIdField,
  artifactKindPolicy,
  artifactMustExist,
  type ArtifactJobResult,
} from './artifact-input.js';
import { defineKind } from './kind-definition.js';

/** Input of the `encrypt` kind: encrypt one artifact into a new one. */
export const encryptInput = z
  .object({
    artifactId: artifactIdField.describe('The artifact to encrypt.'),
  })
  .strict()
  .meta({ id: 'EncryptInput' });

export type EncryptInput = z.output<typeof encryptInput>;

/** The encrypted artifact. */
export type EncryptResult = ArtifactJobResult;

/** What an encrypted artifact is served as. */
export const encryptedContentType = 'application/vnd.longrun.encrypted';

export const encryptKind = defineKind({
  input: encryptInput,
  policy: artifactKindPolicy,
  summarize: ({ artifactId }) => `artifact ${artifactId}`,
  check: artifactMustExist,
});
