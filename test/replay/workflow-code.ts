/**
 * A fingerprint of the workflow code as it runs: every local module the workflow bundle loads
 * (followed from src/workflows/index.ts through value imports), with types and comments stripped
 * by esbuild, so that only changes the bundle would see change it. The replay test compares it
 * with the one recorded beside the histories: a workflow change without new histories fails there.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { workflowsPath } from '../../src/workflows-path.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The local modules of the workflow bundle, repo-relative, each with its stripped code. */
export function workflowModules(entry = workflowsPath): Map<string, string> {
  const modules = new Map<string, string>();
  const visit = (file: string): void => {
    const name = relative(repoRoot, file);
    if (modules.has(name)) return;
    const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm' });
    modules.set(name, code);
    // Type-only imports are gone after the transform; what is left is what the bundle loads.
    for (const [, specifier] of code.matchAll(/(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
      visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return modules;
}

/** SHA-256 over the modules' names and stripped code, in name order. */
export function workflowCodeHash(entry = workflowsPath): string {
  const hash = createHash('sha256');
  for (const [name, code] of [...workflowModules(entry)].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}\0${code}\0`);
  }
  return hash.digest('hex');
}
