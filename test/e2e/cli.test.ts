/**
 * The `longrun` CLI end to end against the test stack, run as a user runs it: its commands, its
 * JSON output and its exit codes, and `follow` from a pipe (JSON lines) and from a pseudo-terminal
 * (`script` from util-linux: a live progress bar).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../scripts/launcher.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { createLongrunClient } from '../../src/client/index.js';
import type { ArtifactResource, ProcessResource } from '../../src/contract/resources.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let dir: string;
before(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'longrun-cli-'));
});
after(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cliEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LONGRUN_URL: stack.api.url,
    LONGRUN_API_KEY: stack.apiKey,
  };
}

/** `longrun <args>` with its output piped. */
function longrun(...args: string[]): Promise<Run> {
  return run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args]);
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repoRoot, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** For setup only: processes to follow are started in-process, at once. */
const client = () => createLongrunClient({ baseUrl: stack.api.url, apiKey: stack.apiKey });

const parse = <T = ProcessResource>(out: string) => JSON.parse(out) as T;

// One command at a time: each is a Node process, and the machine is small and shared.
describe('the longrun CLI', () => {
  it('start --wait exits 0 on success, 3 on failure (npm run --silent longrun)', async () => {
    const ok = await run('npm', [
      'run',
      '--silent',
      'longrun',
      '--',
      'start',
      'delay',
      '{"seconds":0.5,"steps":1}',
      '--wait',
    ]);
    assert.equal(ok.code, ExitCode.Succeeded, ok.stderr);
    assert.equal(parse(ok.stdout).status, 'succeeded');
    const failed = await longrun('start', 'delay', '{"seconds":0.5,"steps":1,"fail":true}', '--wait');
    assert.equal(failed.code, ExitCode.Failed, failed.stderr);
    assert.equal(parse(failed.stdout).status, 'failed');
  });

  it('start, get, wait --timeout, cancel and wait: 0, 5, 5, 0, 4', async () => {
    const started = await longrun('start', 'delay', '{"seconds":600,"steps":60}');
    assert.equal(started.code, ExitCode.Succeeded, started.stderr);
    const { id } = parse(started.stdout);
    const got = await longrun('get', id);
    assert.equal(got.code, ExitCode.StillRunning);
    assert.equal(parse(got.stdout).id, id);
    const waited = await longrun('wait', id, '--timeout', '1');
    assert.equal(waited.code, ExitCode.StillRunning);
    const canceled = await longrun('cancel', id);
    assert.equal(canceled.code, ExitCode.Succeeded, canceled.stderr);
    assert.equal(parse(canceled.stdout).cancelRequested, true);
    const ended = await longrun('wait', id);
    assert.equal(ended.code, ExitCode.Canceled);
    assert.equal(parse(ended.stdout).status, 'canceled');
    // Cancelling an ended process is refused: 6, the problem on stderr.
    const again = await longrun('cancel', id);
    assert.equal(again.code, ExitCode.Refused);
    assert.equal(parse<{ status: number }>(again.stderr).status, 409);
  });

  it('refusals exit 6 with the problem; bad usage exits 2', async () => {
    const invalid = await longrun('start', 'delay', '{"seconds":-1}');
    assert.equal(invalid.code, ExitCode.Refused);
    const problem = parse<{ status: number; errors: { pointer: string }[] }>(invalid.stderr);
    assert.equal(problem.status, 400);
    assert.deepEqual(
      problem.errors.map((e) => e.pointer),
      ['/input/seconds'],
    );
    assert.equal((await longrun('get', 'no-such-process')).code, ExitCode.Refused);
    assert.equal((await longrun('start', 'delay', 'not json')).code, ExitCode.Usage);
    assert.equal((await longrun('frobnicate')).code, ExitCode.Usage);
  });

  it('sends LONGRUN_API_KEY: an unknown key is a refusal (401), exit 6', async () => {
    const unknownKey = await run('node', ['--import', 'tsx', 'src/cli/main.ts', 'list', '--max', '1'], {
      ...cliEnv(),
      LONGRUN_API_KEY: 'lrk_not_a_key_of_this_stack',
    });
    assert.equal(unknownKey.code, ExitCode.Refused);
    assert.equal(parse<{ status: number }>(unknownKey.stderr).status, 401);
  });

  it('lists every page as JSON lines', async () => {
    for (let i = 0; i < 3; i++) await longrun('start', 'delay', '{"seconds":0.2,"steps":1}');
    const listed = await longrun('list', '--kind', 'delay', '--page-size', '2', '--max', '3');
    assert.equal(listed.code, ExitCode.Succeeded, listed.stderr);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => parse(line));
    assert.equal(lines.length, 3);
    for (const item of lines) assert.equal(item.kind, 'delay');
  });

  it('uploads a file and downloads it back', async () => {
    const bytes = randomBytes(100_000);
    const source = join(dir, 'in.bin');
    const target = join(dir, 'out.bin');
    await writeFile(source, bytes);
    const uploaded = await longrun('upload', source, '--content-type', 'application/x-test');
    assert.equal(uploaded.code, ExitCode.Succeeded, uploaded.stderr);
    const artifact = parse<ArtifactResource>(uploaded.stdout);
    assert.equal(artifact.size, bytes.length);
    const downloaded = await longrun('download', artifact.id, target);
    assert.equal(downloaded.code, ExitCode.Succeeded, downloaded.stderr);
    assert.ok((await readFile(target)).equals(bytes));
    assert.equal((await longrun('upload', join(dir, 'missing.bin'))).code, ExitCode.Error);
  });

  it('follow, piped: one JSON line per event, the last the final status', async () => {
    const { id } = await client().start('delay', { seconds: 8, steps: 8 });
    const followed = await longrun('follow', id);
    assert.equal(followed.code, ExitCode.Succeeded, followed.stderr);
    const events = followed.stdout
      .trim()
      .split('\n')
      .map((line) => parse(line));
    assert.ok(events.length >= 3, followed.stdout);
    assert.equal(events.at(-1)?.status, 'succeeded');
    assert.ok(events.every((e) => e.id === id));
  });

  it('follow, on a terminal: a live progress bar, exit by how it ended', async () => {
    const { id } = await client().start('delay', { seconds: 8, steps: 8 });
    // `script -e` runs the command on a pseudo-terminal and exits with its code.
    const command = `node --import tsx src/cli/main.ts follow ${id}`;
    const followed = await run('script', ['-qefc', command, '/dev/null']);
    assert.equal(followed.code, ExitCode.Succeeded, followed.stdout + followed.stderr);
    const screen = followed.stdout;
    // Redrawn in place (cursor to column 1) as the process runs, ending at 100%.
    const redraw = new RegExp(
      `${String.fromCharCode(27)}\\[1Gdelay [\\w-]+ \\[[█░]+\\] [1-9]\\d?% \\| running`,
    );
    assert.match(screen, redraw, screen);
    assert.match(screen, /\[█+\] 100% \| succeeded/, screen);
    assert.ok(!screen.includes('{"id"'), 'a bar, not JSON lines');
  });
});
