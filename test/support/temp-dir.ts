import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * A fresh temporary folder for the tests of this file (or of the `describe` it is called in):
 * made before them and handed to `onMade`, removed after them, also when one fails.
 */
export function useTempDir(prefix: string, onMade: (dir: string) => void | Promise<void>): void {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    await onMade(dir);
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}
