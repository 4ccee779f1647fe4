/**
 * The Azure SDK's poller (`@azure/core-lro` `createHttpPoller`) drives longrun processes end to
 * end: it follows `Operation-Location` and reads the monitor's `status`, so success, failure and
 * cancel are each read as what they are (with only `Location` it judged by the HTTP status, and
 * read a failed process as succeeded).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createHttpPoller,
  type OperationResponse,
  type OperationState,
  type RunningOperation,
} from '@azure/core-lro';
import type { ProcessResource } from '../../src/contract/resources.js';
import { useStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
useStack({}, (started) => {
  stack = started;
});

/** What an Azure SDK client does: one HTTP call per request, headers as a plain object. */
async function call(
  method: string,
  url: string,
  body?: unknown,
): Promise<OperationResponse<ProcessResource>> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...apiKeyHeader() },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json()) as ProcessResource;
  return {
    flatResponse: parsed,
    rawResponse: {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers),
      request: { method, url },
      body: parsed,
    },
  };
}

/** The stack's API key, as an Azure SDK client's credential policy would send it. */
function apiKeyHeader(): Record<string, string> {
  return { authorization: `Bearer ${stack.apiKey}` };
}

function pollerFor(input: unknown, cancelAfterFirstPoll = false) {
  const operation: RunningOperation<ProcessResource> = {
    sendInitialRequest: () => call('POST', `${stack.api.url}/processes`, input),
    sendPollRequest: (path) => call('GET', path),
  };
  let cancelSent = false;
  return createHttpPoller<ProcessResource, OperationState<ProcessResource>>(operation, {
    intervalInMs: 200,
    resolveOnUnsuccessful: true,
    updateState: (_state, response) => {
      const body = response.flatResponse as ProcessResource;
      if (cancelAfterFirstPoll && !cancelSent && body.status === 'running') {
        cancelSent = true;
        void call('POST', `${stack.api.url}/processes/${body.id}/cancel`);
      }
    },
  });
}

describe('@azure/core-lro createHttpPoller', { concurrency: true }, () => {
  it('reads a succeeded process as succeeded, with its result', async () => {
    const poller = pollerFor({ kind: 'delay', input: { seconds: 1, steps: 2 } });
    const result = await poller.pollUntilDone();
    assert.equal(poller.operationState?.status, 'succeeded');
    assert.equal(result?.status, 'succeeded');
    assert.deepEqual(result?.result, { seconds: 1, steps: 2, resumedAfterStep: 0, attempt: 1 });
  });

  it('reads a failed process as failed', async () => {
    const poller = pollerFor({ kind: 'delay', input: { seconds: 0.5, steps: 1, fail: true } });
    await poller.pollUntilDone();
    assert.equal(poller.operationState?.status, 'failed');
  });

  it('reads a canceled process as canceled', async () => {
    const poller = pollerFor({ kind: 'delay', input: { seconds: 30, steps: 30 } }, true);
    await poller.pollUntilDone();
    assert.equal(poller.operationState?.status, 'canceled');
  });

  it('is told Operation-Location, the same URL as Location, on a 202', async () => {
    const started = await call('POST', `${stack.api.url}/processes`, {
      kind: 'delay',
      input: { seconds: 1 },
    });
    assert.equal(started.rawResponse.statusCode, 202);
    const monitor = started.rawResponse.headers['operation-location'];
    assert.ok(monitor);
    assert.equal(monitor, started.rawResponse.headers.location);
    assert.equal(monitor, started.flatResponse.links.self);
  });
});
