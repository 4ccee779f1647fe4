/** Tools the bench runs beside longrun: Debian commands (installed if missing) and npm package versions. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/launcher.js';
import { log } from './log.js';

function commandPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A command from Debian's package, installed if missing (apt-get update only if the first try fails). */
export function ensureDebianCommand(command: string, debianPackage: string): string | undefined {
  const found = commandPath(command);
  if (found) return found;
  if (process.getuid?.() !== 0) return undefined;
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    }).status === 0;
  log(`${command} not found: apt-get install -y ${debianPackage}`);
  if (!apt(['install', '-y', debianPackage])) {
    apt(['update']);
    apt(['install', '-y', debianPackage]);
  }
  return commandPath(command);
}

/** The installed version of an npm package. */
export function packageVersion(name: string): string {
  const file = join(repoRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
