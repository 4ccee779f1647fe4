/**
 * Determinism guard: histories recorded from earlier versions of the orchestrator must replay
 * against the current code. A failure here means a change would break running workflows;
 * use `patched()` or a new workflow type instead.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { workflowsPath } from '../../src/workflows-path.js';

const folder = new URL('./histories/', import.meta.url);
const files = readdirSync(folder).filter((name) => name.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 3, `found ${files.length} histories`);
  });

  it('replays every recorded history without nondeterminism', async () => {
    const histories = files.map((name) => ({
      workflowId: name,
      history: historyFromJSON(JSON.parse(readFileSync(new URL(name, folder), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
