import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import type { Info } from '@temporalio/activity';
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDecrypt, type DecryptCheckpoint } from '../../src/activities/decrypt.js';
import { createEncrypt, type EncryptCheckpoint } from '../../src/activities/encrypt.js';
import { encryptedContentType } from '../../src/kinds/encrypt.js';
import type { ProgressSink } from '../../src/activities/progress/sink.js';
import type { RunnerHeartbeat } from '../../src/shared/heartbeat.js';
import type { ArtifactJobDeps } from '../../src/activities/runner-deps.js';
import { LocalArtifactStore } from '../../src/artifacts/local-store.js';
import type { ArtifactStore, ArtifactWriter } from '../../src/artifacts/store.js';
import { KeyRing } from '../../src/crypto/keyring.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { silentLogger } from '../support/activity.js';
import { useTempDir } from '../support/temp-dir.js';

const keys = new KeyRing([{ id: 'test', key: randomBytes(32) }]);
const chunkSize = 1024;
let root: string;
let store: LocalArtifactStore;

useTempDir('longrun-runners-', async (made) => {
  root = made;
  store = await LocalArtifactStore.open(root);
});

const sink: ProgressSink = { started: () => Promise.resolve() };
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Checkpoints reach heartbeats at most once per progress interval: a 1 ms interval, and runners
 * paced to a chunk every 2 ms, make every checkpoint a heartbeat, as a crash test needs.
 */
function depsWith(overrides: Partial<ArtifactJobDeps> = {}): ArtifactJobDeps {
  return {
    progress: sink,
    progressIntervalMs: 1,
    artifacts: store,
    keys,
    throttleBytesPerSec: 500 * 1024,
    ...overrides,
  };
}

/** One attempt in a mock activity environment, recording its heartbeats. */
function attempt<Checkpoint>(info: Partial<Info> = {}) {
  const mock = new MockActivityEnvironment(
    {
      attempt: 1,
      workflowExecution: { workflowId: 'wf', runId: 'run' },
      heartbeatTimeoutMs: 10_000,
      ...info,
    },
    { logger: silentLogger },
  );
  const heartbeats: RunnerHeartbeat<Checkpoint>[] = [];
  mock.on('heartbeat', (details: RunnerHeartbeat<Checkpoint>) => heartbeats.push(details));
  const env = {
    run: <Input, Result>(runner: (input: Input) => Promise<Result>, input: Input) =>
      mock.run<[Input], Result, typeof runner>(runner, input),
    cancel: mock.cancel,
  };
  /** The last heartbeat that carried a checkpoint. */
  const lastCheckpoint = () => [...heartbeats].reverse().find((h) => h.checkpoint !== undefined);
  return { env, heartbeats, lastCheckpoint };
}

const encryptRunner = (deps = depsWith()) => createEncrypt(deps, { checkpointEveryMs: 0, chunkSize });
const decryptRunner = (deps = depsWith()) => createDecrypt(deps, { checkpointEveryMs: 0 });

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function partials(): Promise<string[]> {
  return readdir(join(root, '.partial'));
}

/** A store whose writers fail (like a dying disk or worker) after `writes` writes. */
function failingAfter(writes: number): ArtifactStore {
  return {
    create: (content, options) => store.create(content, options),
    stat: (id) => store.stat(id),
    openRead: (id, range) => store.openRead(id, range),
    remove: (id) => store.remove(id),
    async openWriter(options) {
      const writer = await store.openWriter(options);
      let count = 0;
      const failing: ArtifactWriter = {
        get id() {
          return writer.id;
        },
        get size() {
          return writer.size;
        },
        write: (chunk) =>
          ++count > writes ? Promise.reject(new Error('disk went away')) : writer.write(chunk),
        flush: () => writer.flush(),
        commit: (contentType) => writer.commit(contentType),
        abort: () => writer.abort(),
        close: () => writer.close(),
      };
      return failing;
    },
  };
}

function assertFailure(type: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.equal(err.nonRetryable, true);
    return true;
  };
}

describe('encrypt and decrypt runners', { concurrency: false }, () => {
  const data = randomBytes(100 * chunkSize + 123);
  let plainId: string;

  beforeEach(async () => {
    assert.deepEqual(await partials(), [], 'no partial output left by the previous test');
  });

  it('encrypts and decrypts an artifact, reporting progress with checkpoints', async () => {
    plainId = (await store.create([data], { contentType: 'text/plain', maxBytes: 1e9 })).id;
    const enc = attempt<EncryptCheckpoint>();
    const encrypted = await enc.env.run(encryptRunner(), { artifactId: plainId });
    assert.equal(encrypted.keyId, 'test');
    assert.equal(encrypted.resumedAfterChunk, 0);
    const meta = await store.stat(encrypted.artifactId);
    assert.equal(meta?.contentType, encryptedContentType);
    assert.equal(meta?.sha256, encrypted.sha256);
    assert.equal(meta?.size, encrypted.size);
    assert.ok(encrypted.size > data.length);

    const percents = enc.heartbeats.map((h) => h.progress.percent);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      'progress never goes back',
    );
    assert.equal(percents.at(-1), 100);
    const checkpoints = enc.heartbeats.flatMap((h) => (h.checkpoint ? [h.checkpoint] : []));
    assert.ok(checkpoints.length > 10, `${checkpoints.length} checkpoints`);
    for (const checkpoint of checkpoints)
      assert.ok(!JSON.stringify(checkpoint).includes(keys.active.key.toString('base64')));

    const dec = attempt<DecryptCheckpoint>();
    const decrypted = await dec.env.run(decryptRunner(), {
      artifactId: encrypted.artifactId,
      contentType: 'text/plain',
    });
    assert.equal(decrypted.sha256, sha256(data));
    assert.equal(decrypted.size, data.length);
    assert.deepEqual(await readAll(await store.openRead(decrypted.artifactId)), data);
    assert.equal((await store.stat(decrypted.artifactId))?.contentType, 'text/plain');
  });

  it('a retry after a crash resumes from the checkpoint, and the result is byte-identical', async () => {
    const first = attempt<EncryptCheckpoint>();
    await assert.rejects(
      first.env.run(encryptRunner(depsWith({ artifacts: failingAfter(40) })), { artifactId: plainId }),
      /disk went away/,
    );
    const last = first.heartbeats.at(-1)!;
    assert.ok(last.checkpoint && last.checkpoint.chunks > 10, JSON.stringify(last.checkpoint));
    assert.deepEqual(
      await partials(),
      [last.checkpoint.outputId],
      'the partial output is kept for the retry',
    );

    const second = attempt<EncryptCheckpoint>({ attempt: 2, heartbeatDetails: last });
    const result = await second.env.run(encryptRunner(), { artifactId: plainId });
    assert.equal(result.resumedAfterChunk, last.checkpoint.chunks);
    assert.ok(
      second.heartbeats.every((h) => h.progress.percent >= last.progress.percent),
      'progress does not go back on resume',
    );
    assert.deepEqual(await partials(), [], 'the earlier partial output is removed once published');

    // Decrypt, also crashing once and resuming.
    const firstDecrypt = attempt<DecryptCheckpoint>();
    await assert.rejects(
      firstDecrypt.env.run(decryptRunner(depsWith({ artifacts: failingAfter(30) })), {
        artifactId: result.artifactId,
        contentType: 'x/y',
      }),
      /disk went away/,
    );
    const lastDecrypt = firstDecrypt.heartbeats.at(-1)!;
    assert.ok(lastDecrypt.checkpoint && lastDecrypt.checkpoint.chunks > 10);
    const again = attempt<DecryptCheckpoint>({ attempt: 2, heartbeatDetails: lastDecrypt });
    const decrypted = await again.env.run(decryptRunner(), {
      artifactId: result.artifactId,
      contentType: 'x/y',
    });
    assert.equal(decrypted.resumedAfterChunk, lastDecrypt.checkpoint.chunks);
    assert.equal(decrypted.sha256, sha256(data));
    assert.deepEqual(await readAll(await store.openRead(decrypted.artifactId)), data);
  });

  it('a retry whose partial output is gone starts over', async () => {
    const first = attempt<EncryptCheckpoint>();
    await assert.rejects(
      first.env.run(encryptRunner(depsWith({ artifacts: failingAfter(20) })), { artifactId: plainId }),
    );
    const last = first.heartbeats.at(-1)!;
    await rm(join(root, '.partial', last.checkpoint!.outputId));
    const second = attempt<EncryptCheckpoint>({ attempt: 2, heartbeatDetails: last });
    const result = await second.env.run(encryptRunner(), { artifactId: plainId });
    assert.equal(result.resumedAfterChunk, 0);
    const decrypted = await attempt().env.run(decryptRunner(), {
      artifactId: result.artifactId,
      contentType: 'x/y',
    });
    assert.equal(decrypted.sha256, sha256(data));
  });

  it('a retry after the output was published returns it', async () => {
    const first = attempt<EncryptCheckpoint>();
    const result = await first.env.run(encryptRunner(), { artifactId: plainId });
    // As if the worker died between publishing and completing the activity.
    const second = attempt<EncryptCheckpoint>({ attempt: 2, heartbeatDetails: first.lastCheckpoint() });
    const again = await second.env.run(encryptRunner(), { artifactId: plainId });
    assert.equal(again.artifactId, result.artifactId);
    assert.equal(again.sha256, result.sha256);
  });

  it('stops promptly when canceled and removes its partial output; keeps it on worker shutdown', async () => {
    const slow = encryptRunner(depsWith({ throttleBytesPerSec: 50 * chunkSize }));
    for (const [reason, details, kept] of [
      ['CANCELLED', new ActivityCancellationDetails({ cancelRequested: true }), false],
      ['WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }), true],
    ] as const) {
      const { env, lastCheckpoint } = attempt<EncryptCheckpoint>();
      const running = env.run(slow, { artifactId: plainId });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const canceledAt = Date.now();
      env.cancel(reason, details);
      await assert.rejects(running, CancelledFailure);
      assert.ok(Date.now() - canceledAt < 200, 'stopped promptly');
      const outputId = lastCheckpoint()?.checkpoint?.outputId;
      assert.deepEqual(await partials(), kept ? [outputId] : [], reason);
      if (kept) await rm(join(root, '.partial', outputId!));
    }
  });

  it('fails typed and non-retryable for a missing artifact and a tampered one, leaving nothing', async () => {
    await assert.rejects(
      attempt().env.run(encryptRunner(), { artifactId: '0'.repeat(32) }),
      assertFailure(FailureType.ArtifactNotFound),
    );
    const encrypted = await attempt().env.run(encryptRunner(), { artifactId: plainId });
    const file = await readAll(await store.openRead(encrypted.artifactId));
    const tampered = Buffer.from(file);
    tampered[file.length - 5000] = tampered[file.length - 5000]! ^ 0x80;
    const { id } = await store.create([tampered], { contentType: encryptedContentType, maxBytes: 1e9 });
    const before = (await readdir(root)).length;
    await assert.rejects(
      attempt().env.run(decryptRunner(), { artifactId: id, contentType: 'x/y' }),
      assertFailure(FailureType.CiphertextTampered),
    );
    assert.equal((await readdir(root)).length, before, 'no output artifact');
    await assert.rejects(
      attempt().env.run(
        decryptRunner(depsWith({ keys: new KeyRing([{ id: 'other', key: randomBytes(32) }]) })),
        {
          artifactId: encrypted.artifactId,
          contentType: 'x/y',
        },
      ),
      assertFailure(FailureType.UnknownKeyId),
    );
    await assert.rejects(
      attempt().env.run(decryptRunner(), { artifactId: plainId, contentType: 'x/y' }),
      assertFailure(FailureType.UnsupportedFormat),
    );
  });
});
