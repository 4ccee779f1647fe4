import { runnerKinds } from '../activities/registry.js';
import type { RunnerCheckDeps, RunnerKind } from '../activities/runner-kind.js';
import type { StartCommand } from './gateway.js';
import { ProblemError, ProblemType, toPointer } from './problem.js';

/**
 * Run the kind's own {@link RunnerKind.check} on a start command that passed the schema: input
 * that is well-formed but unusable (e.g. a missing artifact) is refused with a 422 problem, each
 * field located under `/input`, and no process starts. Call it before starting.
 */
export async function checkRunnerInput(
  deps: RunnerCheckDeps | undefined,
  command: Pick<StartCommand, 'kind' | 'input'>,
): Promise<void> {
  const kind: RunnerKind = runnerKinds[command.kind];
  if (!kind.check) return;
  if (!deps) throw new Error(`kind "${command.kind}" checks its input, but the app has no artifact store`);
  const problems = await kind.check(command.input, deps);
  if (!problems?.length) return;
  throw new ProblemError({
    type: ProblemType.UnprocessableInput,
    title: 'Unusable input',
    status: 422,
    detail: 'The input is well-formed but cannot be used; see `errors`.',
    errors: problems.map(({ pointer, detail }) => ({ pointer: `${toPointer(['input'])}${pointer}`, detail })),
  });
}
