import type { Hook } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { ZodError } from 'zod';
import { kindNames } from '../kinds/index.js';
import { ProblemError, toPointer, type FieldError } from './problem.js';
import { ProblemType } from '../contract/problem-types.js';

/** The validator target: 'json' (body), 'query', 'param' or 'header'. */
type Target = string;

/** Field errors of a zod failure: body fields by JSON Pointer, parameters and headers by name. */
export function fieldErrors(error: ZodError, target: Target = 'json'): FieldError[] {
  const located = bodyFieldErrors(error);
  if (target === 'json') return located;
  // A parameter's or header's issue is located by its name: the first segment of the pointer.
  const name = (pointer: string) => pointer.split('/')[1] ?? '';
  return target === 'header'
    ? located.map(({ pointer, detail }) => ({ header: name(pointer), detail }))
    : located.map(({ pointer, detail }) => ({ parameter: name(pointer), detail }));
}

function bodyFieldErrors(error: ZodError): { pointer: string; detail: string }[] {
  return error.issues.flatMap((issue) => {
    // An unknown discriminator ("kind") yields one union issue located at the field itself.
    if (issue.code === 'invalid_union' && issue.errors.length === 0) {
      return [
        {
          pointer: toPointer(issue.path),
          detail: `Missing or unknown kind; expected one of: ${kindNames.join(', ')}.`,
        },
      ];
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: toPointer([...issue.path, key]),
        detail: 'Unknown field.',
      }));
    }
    return [{ pointer: toPointer(issue.path), detail: issue.message }];
  });
}

/** The `defaultHook` of every OpenAPIHono: invalid requests become one 400 problem. */
export const validationHook: Hook<unknown, Env, string, unknown> = (result) => {
  if (result.success) return;
  const { target } = result as { target?: string };
  throw new ProblemError({
    type: ProblemType.ValidationFailed,
    title: 'Invalid request',
    status: 400,
    detail: 'The request does not match the schema; see `errors`.',
    errors: fieldErrors(result.error, target),
  });
};
