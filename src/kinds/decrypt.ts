import { z } from 'zod';
import { defaultContentType, mediaTypePattern } from '../artifacts/store.js';
import {
  artifactIdField,
  artifactKindPolicy,
  artifactMustExist,
  type ArtifactJobResult,
} from './artifact-input.js';
import { defineKind } from './kind-definition.js';

/** Input of the `decrypt` kind: decrypt an artifact made by `encrypt` into a new one. */
export const decryptInput = z
  .object({
    artifactId: artifactIdField.describe('The encrypted artifact (the result of an `encrypt` process).'),
    contentType: z
      .string()
      .max(255)
      .regex(mediaTypePattern, 'Not a media type.')
      .default(defaultContentType)
      .describe('The media type to give the decrypted artifact.'),
  })
  .strict()
  .meta({ id: 'DecryptInput' });

export type DecryptInput = z.output<typeof decryptInput>;

/** The decrypted artifact. */
export type DecryptResult = ArtifactJobResult;

export const decryptKind = defineKind({
  input: decryptInput,
  policy: artifactKindPolicy,
  summarize: ({ artifactId }) => `artifact ${artifactId}`,
  check: artifactMustExist,
});
