/**
 * The `/processes` operations as OpenAPI route definitions (paths relative to the router's
 * prefix): request schemas, every answer and its headers, and the links from a process to the
 * operations on it. Their handlers are in processes.ts.
 */
import { createRoute } from '@hono/zod-openapi';
import { processPage, processResource } from '../../contract/resources.js';
import {
  noStore,
  operationLocation,
  pollingHeaders,
  preferenceApplied,
  problemAnswer,
  processLinks,
  stringHeader,
  temporalErrors,
} from '../openapi.js';
import { processEvent } from '../../contract/process-events.js';
import {
  eventsHeaders,
  listQuery,
  processIdParams,
  startHeaders,
  startProcessRequest,
  waitHeaders,
} from '../request-schemas.js';

const processJson = { 'application/json': { schema: processResource } } as const;
const notFound = problemAnswer('No such process.');
const badPrefer = problemAnswer('A request header is invalid (e.g. `Prefer` longer than 1000 characters).');

export const startRoute = createRoute({
  method: 'post',
  path: '/',
  operationId: 'startProcess',
  summary: 'Start a process',
  description:
    'Accepts the command at once and runs it in the background; poll `Location` (or `Operation-Location`). With ' +
    '`Prefer: wait=N` the answer waits up to N seconds for the process to end. With an `Idempotency-Key`, repeats ' +
    'of the same request return the same process.',
  request: {
    headers: startHeaders,
    body: { required: true, content: { 'application/json': { schema: startProcessRequest } } },
  },
  responses: {
    200: {
      description: 'Waited (`Prefer: wait`) and the process has ended.',
      headers: { ...operationLocation, ...noStore, ...preferenceApplied },
      content: processJson,
      links: processLinks,
    },
    202: {
      description: 'Accepted; the process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
      links: processLinks,
    },
    400: problemAnswer('Malformed JSON, or a body or header that does not match the schema (see `errors`).'),
    413: problemAnswer('The body is larger than the limit.'),
    415: problemAnswer('The body is not `application/json`.'),
    422: problemAnswer(
      'Well-formed but unusable: the `Idempotency-Key` was used before with a different body, the input names an ' +
        "artifact that does not exist (or is another tenant's), or the callback URL is refused (its host does not " +
        'resolve, or resolves to an address the callback policy refuses; the tenant has no webhook signing secret).',
    ),
    429: problemAnswer(
      "The tenant has as many processes open as the key's `--max-open` allows (`quota-exceeded`).",
    ),
    ...temporalErrors,
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getProcess',
  summary: 'Get a process',
  description:
    'The status monitor of a process. With `Prefer: wait=N` the answer waits up to N seconds for the process to end.',
  request: { params: processIdParams, headers: waitHeaders },
  responses: {
    200: {
      description: 'The process has ended (succeeded, failed or canceled).',
      headers: { ...noStore, ...preferenceApplied },
      content: processJson,
    },
    202: {
      description: 'The process is queued or running.',
      headers: { ...pollingHeaders, ...preferenceApplied },
      content: processJson,
      links: processLinks,
    },
    400: badPrefer,
    404: notFound,
    ...temporalErrors,
  },
});

export const cancelRoute = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  operationId: 'cancelProcess',
  summary: 'Cancel a process',
  description:
    'Requests cancellation: a queued process never starts its runner; a running runner stops at its next heartbeat and cleans up. ' +
    'Repeating the call is harmless. Takes no body (one sent is ignored).',
  request: { params: processIdParams },
  responses: {
    202: {
      description:
        'Cancel requested (`cancelRequested: true`); poll `Location` until the status is `canceled`.',
      headers: pollingHeaders,
      content: processJson,
      links: { GetProcess: processLinks.GetProcess, FollowProcess: processLinks.FollowProcess },
    },
    404: notFound,
    409: problemAnswer('The process has already ended.'),
    ...temporalErrors,
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listProcesses',
  summary: 'List processes',
  description:
    'Served by Temporal visibility. Order: queued and running processes first, newest created first; then ended ones, ' +
    'most recently ended first. Pass `nextCursor` back as `cursor` with the same filters for the next page.',
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page of processes.',
      headers: noStore,
      content: { 'application/json': { schema: processPage } },
    },
    400: problemAnswer('A filter that does not match the schema (see `errors`).'),
    422: problemAnswer('The `cursor` is not one this API issued for these filters.'),
    ...temporalErrors,
  },
});

export const eventsRoute = createRoute({
  method: 'get',
  path: '/{id}/events',
  operationId: 'followProcess',
  summary: 'Follow a process (Server-Sent Events)',
  description:
    'A `text/event-stream`: one event per status or progress change, each carrying the process resource as JSON in ' +
    'its `data`, with increasing ids (the server-side time of the change, in ms); the stream closes after the event ' +
    'with the final status. Reconnect with `Last-Event-ID` to resume: the first event is then the current state if it ' +
    'is newer. Event names: `status` when the status changed, `progress` otherwise. Idle streams carry ' +
    '`: keep-alive` comments. Each event is described by `itemSchema` (OpenAPI 3.2, read by Schemathesis and other ' +
    'tools that validate event streams), its `data` by `contentMediaType`/`contentSchema`.',
  request: { params: processIdParams, headers: eventsHeaders },
  responses: {
    200: {
      description: 'The event stream.',
      headers: {
        ...noStore,
        'X-Accel-Buffering': stringHeader('`no`: proxies should pass events through at once.'),
      },
      content: { 'text/event-stream': { itemSchema: processEvent } },
    },
    404: notFound,
    ...temporalErrors,
  },
});
