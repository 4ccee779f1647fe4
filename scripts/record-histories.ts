/**
 * Records workflow histories of the current orchestrator version into test/replay/histories/,
 * for the replay test: run it (`npm run record-histories`) whenever the workflow changes in a
 * way that is meant to be compatible, and commit the new files beside the old ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { temporalCli } from './launcher.js';
import { pollUntilEnded, startProcess } from '../test/support/api-client.js';
import { startStack } from '../test/support/stack.js';

const scenarios: Record<string, unknown> = {
  succeeded: { kind: 'delay', input: { seconds: 1, steps: 4 } },
  'retried-then-succeeded': { kind: 'delay', input: { seconds: 0.5, steps: 2, failAttempts: 2 } },
  'failed-non-retryable': { kind: 'delay', input: { seconds: 0.5, fail: true } },
};

const version = process.argv[2] ?? 'v1';
const folder = new URL('../test/replay/histories/', import.meta.url);
mkdirSync(folder, { recursive: true });

const stack = await startStack();
try {
  for (const [name, body] of Object.entries(scenarios)) {
    const started = await startProcess(stack.api.url, body);
    await pollUntilEnded(started.body.links.self);
    // The CLI writes the JSON form that `historyFromJSON` (and the Web UI's download) use.
    const json = execFileSync(
      temporalCli(),
      ['workflow', 'show', '--workflow-id', started.body.id, '--address', stack.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    const file = new URL(`${version}-${name}.json`, folder);
    writeFileSync(file, json);
    console.log(
      `recorded ${file.pathname} (${(JSON.parse(json) as { events: unknown[] }).events.length} events)`,
    );
  }
} finally {
  await stack.stop();
}
