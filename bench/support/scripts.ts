/** The bench's own Node programs (the BullMQ build, the floor) as launched children. */
import { launch, type ManagedProcess } from '../../scripts/launcher.js';
import type { StepContext } from './measure.js';
import { waitFor } from './waits.js';

/** `node --import tsx <script>` from the repository root, killed if the bench dies. */
export function launchScript(name: string, script: string, env: Record<string, string>): ManagedProcess {
  return launch(name, process.execPath, ['--import', 'tsx', script], env);
}

/** Waits until `child` prints a line matching `pattern`; throws with its output if it exits first. */
export async function printed(
  child: ManagedProcess,
  pattern: RegExp,
  options: { what: string; timeoutMs: number; signal: StepContext['signal'] },
): Promise<string> {
  const out = await waitFor(
    () => Promise.resolve(child.output()),
    (text) => pattern.test(text) || !child.alive(),
    { timeoutMs: options.timeoutMs, intervalMs: 50, what: options.what, signal: options.signal },
  );
  if (!pattern.test(out)) throw new Error(`${options.what}: ${child.name} exited:\n${out.slice(-2000)}`);
  return out;
}
