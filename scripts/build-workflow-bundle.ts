/**
 * The second half of `npm run build` (after tsc): the workflow bundles, prebuilt once with
 * webpack, as the compiled worker loads them (src/workflow-source.ts) and the replay test checks
 * them: one plain, one with Temporal's OpenTelemetry workflow interceptors for workers with
 * tracing on. Two, because the interceptors cost every running workflow memory (P4: about 880
 * MiB per 1,000 running processes with them, 256 MiB without), which a worker with tracing off
 * should not pay.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { inertTracingPlugin } from '../src/observability/tracing.js';
import { workflowBundleFile } from '../src/workflow-source.js';
import { workflowsPath } from '../src/workflows-path.js';

/** Where `npm run build` writes a bundle. */
export const prebuiltBundlePath = (traced: boolean): string =>
  fileURLToPath(new URL(`../dist/${workflowBundleFile(traced)}`, import.meta.url));

export async function buildWorkflowBundle(
  traced: boolean,
  outFile = prebuiltBundlePath(traced),
): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    plugins: traced ? [inertTracingPlugin()] : [],
    logger: new DefaultLogger('WARN'), // webpack's module list is noise here
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const traced of [false, true]) {
    const started = performance.now();
    const file = await buildWorkflowBundle(traced);
    console.log(`workflow bundle: ${file} (${Math.round(performance.now() - started)} ms)`);
  }
}
