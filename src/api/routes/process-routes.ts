/**
 * The `/processes` operations as OpenAPI route definitions (paths relative to the router's
 * prefix): request schemas, every answer and its headers. Their handlers are in processes.ts.
 */
import { createRoute } from '@hono/zod-openapi';
import { processPage, processResource } from '../../contract/resources.js';
import { pollingHeaders, preferenceApplied, problemContent } from '../openapi.js';
import {
  listQuery,
  processIdParams,
  startHeaders,
  startProcessRequest,
  waitHeaders,
} from '../request-schemas.js';

const processJson = { 'application/json': { schema: processResource } } as const;
const notFound = { description: 'No such process.', content: problemContent };

export const startRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start a process',
  description:
    'Accepts the command at once and runs it in the background; poll `Location`. With `Prefer: wait=N` the answer ' +
    'waits up to N seconds for the process to end. With an `Idempotency-Key`, repeats of the same request return the same process.',
  request: {
    headers: startHeaders,
    body: { required: true, content: { 'application/json': { schema: startProcessRequest } } },
  },
  responses: {
    200: {
      description: 'Waited (`Prefer: wait`) and the process has ended.',
      headers: preferenceApplied,
      content: processJson,
    },
    202: {
      description: 'Accepted; the process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
    },
    400: { description: 'Malformed JSON or invalid input.', content: problemContent },
    413: { description: 'Body too large.', content: problemContent },
    415: { description: 'Body is not JSON.', content: problemContent },
    422: {
      description:
        "The Idempotency-Key was used before with a different body, or the input names an artifact that does not exist (or is another tenant's).",
      content: problemContent,
    },
    429: {
      description:
        "The tenant has as many processes open as the key's `--max-open` allows (`quota-exceeded`).",
      content: problemContent,
    },
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'Get a process',
  request: { params: processIdParams, headers: waitHeaders },
  responses: {
    200: {
      description: 'The process has ended (succeeded, failed or canceled).',
      headers: preferenceApplied,
      content: processJson,
    },
    202: {
      description: 'The process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
    },
    404: notFound,
  },
});

export const cancelRoute = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  summary: 'Cancel a process',
  description:
    'Requests cancellation: a queued process never starts its runner; a running runner stops at its next heartbeat and cleans up. ' +
    'Repeating the call is harmless.',
  request: { params: processIdParams },
  responses: {
    202: {
      description: 'Cancel requested (`cancelRequested: true`).',
      headers: pollingHeaders,
      content: processJson,
    },
    404: notFound,
    409: { description: 'The process has already ended.', content: problemContent },
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List processes',
  description:
    'Served by Temporal visibility. Order: queued and running processes first, newest created first; then ended ones, ' +
    'most recently ended first. Pass `nextCursor` back as `cursor` with the same filters for the next page.',
  request: { query: listQuery },
  responses: {
    200: { description: 'A page of processes.', content: { 'application/json': { schema: processPage } } },
    400: { description: 'Invalid filter or cursor.', content: problemContent },
  },
});

export const eventsRoute = createRoute({
  method: 'get',
  path: '/{id}/events',
  summary: 'Follow a process (Server-Sent Events)',
  description:
    'A `text/event-stream`: one event per status or progress change, each carrying the process resource, ' +
    'with increasing ids (the process version); the stream closes after the event with the final status. ' +
    'Reconnect with `Last-Event-ID` to resume: the first event is then the current state if it is newer. ' +
    'Event names: `status` when the status changed, `progress` otherwise.',
  request: { params: processIdParams },
  responses: {
    200: {
      description: 'The event stream.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    404: notFound,
  },
});
