import { fileURLToPath } from 'node:url';

/** Where every workflow is exported: the only `workflowsPath` (worker, replay tests). */
export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
