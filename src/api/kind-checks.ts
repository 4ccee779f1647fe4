import { kinds, type KindName } from '../kinds/index.js';
import type { KindDefinition, KindServices } from '../kinds/kind-definition.js';
import { ProblemError, toPointer } from './problem.js';
import { ProblemType } from '../contract/problem-types.js';

/**
 * Run the kind's own start-time check on a start command that passed the schema: input that is
 * well-formed but unusable (e.g. a missing artifact) is refused with a 422 problem, each field
 * located under `/input`, and no process starts. Call it before starting.
 */
export async function checkKindInput(
  services: KindServices,
  command: { kind: KindName; input: unknown },
): Promise<void> {
  const kind: KindDefinition = kinds[command.kind];
  const problems = await kind.check?.(command.input, services);
  if (!problems?.length) return;
  throw new ProblemError({
    type: ProblemType.UnprocessableInput,
    title: 'Unusable input',
    status: 422,
    detail: 'The input is well-formed but cannot be used; see `errors`.',
    errors: problems.map(({ pointer, detail }) => ({ pointer: `${toPointer(['input'])}${pointer}`, detail })),
  });
}
