import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedWait, waitThroughFailures } from '../../src/gateway/shared-wait.js';
import { initialState } from '../../src/shared/process-state.js';

describe('waits for a process end', () => {
  it('a wait cut off (a server restart) is begun again, and answers once the end comes', async () => {
    let calls = 0;
    const ended = await waitThroughFailures(
      () =>
        ++calls < 3
          ? Promise.reject(new Error('14 UNAVAILABLE: connection dropped'))
          : Promise.resolve('ended'),
      new AbortController().signal,
      1,
    );
    assert.deepEqual([ended, calls], ['ended', 3]);
  });

  it('once its waiters leave, a failing wait stops with its failure', async () => {
    const waiters = new AbortController();
    let calls = 0;
    const waiting = waitThroughFailures(
      () => {
        calls++;
        return Promise.reject(new Error('14 UNAVAILABLE'));
      },
      waiters.signal,
      5,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    waiters.abort();
    await assert.rejects(waiting, /UNAVAILABLE/);
    const afterAbort = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.ok(afterAbort >= 2, `begun again while waited on (${afterAbort} calls)`);
    assert.equal(calls, afterAbort, 'never begun again after');
  });

  it('every waiter of a shared wait gets the end; the wait is aborted when the last one leaves', async () => {
    let aborted: AbortSignal | undefined;
    const state = initialState('p1', 'run-1', 'delay', new Date(0).toISOString());
    let finish: (s: typeof state) => void = () => {};
    const wait = new SharedWait(
      (signal) => {
        aborted = signal;
        return new Promise((resolve) => (finish = resolve));
      },
      () => {},
    );
    const first = wait.join(1_000);
    const second = wait.join(5);
    assert.equal(await second, undefined, 'a waiter whose time ran out answers undefined');
    assert.equal(aborted?.aborted, false, 'still waited on');
    finish(state);
    assert.equal(await first, state);
    assert.equal(aborted?.aborted, true, 'aborted once nobody waits');
  });
});
