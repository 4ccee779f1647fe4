/**
 * Where the worker's workflow code comes from. Compiled (`npm run build`, then `NODE_ENV=production
 * npm run worker`): the workflow bundle prebuilt next to the compiled code, `dist/workflow-bundle.js`
 * (or, with tracing on, `dist/workflow-bundle-traced.js`, which carries Temporal's OpenTelemetry
 * workflow interceptors), so a worker starts without webpack. From source (`npm run worker` in development, the tests):
 * `src/workflows/index.ts`, bundled by the SDK at start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config.js';
import { workflowsPath } from './workflows-path.js';

/** A prebuilt bundle's file name, inside dist/ (scripts/build-workflow-bundle.ts writes both). */
export const workflowBundleFile = (traced: boolean): string =>
  traced ? 'workflow-bundle-traced.js' : 'workflow-bundle.js';

export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowsPath: string };

/** Whether this module runs compiled (from dist/), not through tsx. */
const compiled = import.meta.url.endsWith('.js');

/** The workflow code, with the tracing interceptors when `traced` (tracing configured). */
export function workflowSource(traced: boolean): WorkflowSource {
  if (!compiled) return { workflowsPath };
  const codePath = fileURLToPath(new URL(`./${workflowBundleFile(traced)}`, import.meta.url));
  if (!existsSync(codePath)) {
    throw new ConfigError(`No prebuilt workflow bundle at ${codePath}: run \`npm run build\` first.`);
  }
  return { workflowBundle: { codePath } };
}
