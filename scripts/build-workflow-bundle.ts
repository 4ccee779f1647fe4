/**
 * The second half of `npm run build` (after tsc): the workflow bundle, prebuilt once with
 * webpack, as the compiled worker loads it (src/workflow-source.ts) and the replay test checks it.
 * It carries Temporal's OpenTelemetry workflow interceptors, as a worker bundling at start does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { inertTracingPlugin } from '../src/observability/tracing.js';
import { workflowBundleFile } from '../src/workflow-source.js';
import { workflowsPath } from '../src/workflows-path.js';

/** Where `npm run build` writes the bundle. */
export const prebuiltBundlePath = fileURLToPath(new URL(`../dist/${workflowBundleFile}`, import.meta.url));

export async function buildWorkflowBundle(outFile = prebuiltBundlePath): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    plugins: [inertTracingPlugin()],
    logger: new DefaultLogger('WARN'), // webpack's module list is noise here
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const file = await buildWorkflowBundle();
  console.log(`workflow bundle: ${file} (${Math.round(performance.now() - started)} ms)`);
}
