/** The CLI's settings: LONGRUN_URL and LONGRUN_API_KEY, else the local stack's dev key file. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { devApiKeyFile as stackKeyFile } from '../../scripts/dev-api-key.js';
import { defaultUrl, devApiKeyFile, readSettings } from '../../src/cli/settings.js';
import { useTempDir } from '../support/temp-dir.js';

let dir: string;
useTempDir('longrun-cli-settings-', (made) => {
  dir = made;
});

describe('the CLI settings', () => {
  it('sends no key when there is neither LONGRUN_API_KEY nor a dev key file', () => {
    assert.deepEqual(readSettings({}, dir), { baseUrl: defaultUrl });
  });

  it('reads the key npm run stack writes, from the same path', async () => {
    assert.equal(devApiKeyFile, stackKeyFile);
    const file = join(dir, devApiKeyFile);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'lrk_from_the_stack\n');
    assert.deepEqual(readSettings({ LONGRUN_URL: 'http://api:8080' }, dir), {
      baseUrl: 'http://api:8080',
      apiKey: 'lrk_from_the_stack',
    });
  });

  it('prefers LONGRUN_API_KEY over the dev key file', () => {
    assert.equal(readSettings({ LONGRUN_API_KEY: 'lrk_given' }, dir).apiKey, 'lrk_given');
  });
});
