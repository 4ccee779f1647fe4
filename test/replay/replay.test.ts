/**
 * Determinism guard: histories recorded from every released version of the workflows (one per
 * path a process can take: success, retries, failure, cancel while queued and while running,
 * webhooks) must replay against the current code, and the current code must be the code the
 * newest histories were recorded from. A failure here means a change would break running
 * workflows (use `patched()` or a new workflow type), or that a workflow change came without new
 * histories (`npm run record-histories -- vN`).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle.js';
import { workflowsPath } from '../../src/workflows-path.js';
import { workflowCodeHash } from './workflow-code.js';

const folder = new URL('./histories/', import.meta.url);
const files = readdirSync(folder).filter((name) => /^v\d+-.+\.json$/.test(name));
const manifest = JSON.parse(readFileSync(new URL('manifest.json', folder), 'utf8')) as {
  recordedAs: string;
  workflowCode: string;
};

describe('replay of recorded histories', () => {
  it('has histories of every path from the newest version, and the older ones', () => {
    const newest = files.filter((name) => name.startsWith(`${manifest.recordedAs}-`));
    for (const path of [
      'succeeded',
      'succeeded-quickly',
      'retried-then-succeeded',
      'failed-non-retryable',
      'canceled-while-running',
      'canceled-while-queued',
      'callback',
      'callback-deliveries',
      'nexus-succeeded',
      'nexus-canceled',
    ]) {
      assert.ok(
        newest.includes(`${manifest.recordedAs}-${path}.json`),
        `${manifest.recordedAs}-${path}.json`,
      );
    }
    assert.ok(
      files.some((name) => name.startsWith('v1-')),
      'the first version is kept',
    );
  });

  it('the workflow code is the code the newest histories were recorded from', () => {
    assert.equal(
      workflowCodeHash(),
      manifest.workflowCode,
      `the workflow code changed since the ${manifest.recordedAs} histories were recorded: put the ` +
        'change behind patched() (or a new workflow type), then record new histories with ' +
        '`npm run record-histories -- vN` (the next version) and keep the old ones',
    );
  });

  it('replays every recorded history without nondeterminism', async () => {
    await replayAll({ workflowsPath });
  });

  it('replays every recorded history against the prebuilt bundles (what npm run build ships)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'longrun-bundle-'));
    try {
      for (const traced of [false, true]) {
        const codePath = await buildWorkflowBundle(traced, join(dir, `workflow-bundle-${traced}.js`));
        await replayAll({ workflowBundle: { codePath } });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Replay every history with `source`; fail with each nondeterminism found. */
async function replayAll(
  source: Pick<ReplayWorkerOptions, 'workflowsPath' | 'workflowBundle'>,
): Promise<void> {
  const histories = files.map((name) => ({
    workflowId: name,
    history: JSON.parse(readFileSync(new URL(name, folder), 'utf8')) as unknown,
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(source, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
}
