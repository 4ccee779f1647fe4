/**
 * Pieces the route definitions share in `/openapi.json`: problem answers (every status an
 * operation can answer, including the ones every operation shares), response headers, and the
 * links the stateful clients (and fuzzers) follow from a started process to its operations.
 */
import { problem } from '../contract/resources.js';

export const problemContent = { 'application/problem+json': { schema: problem } } as const;

/** A problem answer with this description. */
export const problemAnswer = (description: string) => ({ description, content: problemContent });

export const stringHeader = (description: string, required = true) => ({
  description,
  required,
  schema: { type: 'string' as const },
});

/** A required header whose value is an absolute URL. */
export const uriHeader = (description: string) => ({
  description,
  required: true,
  schema: { type: 'string' as const, format: 'uri' },
});

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before polling again.',
    required: true,
    schema: { type: 'integer' as const, minimum: 0 },
  },
};
const location = { Location: uriHeader('Absolute URL of the process.') };
/**
 * The Azure REST guidelines' status monitor (read by `@azure/core-lro` and other Azure SDK
 * pollers): the same URL as `Location`, whose body's `status` says how the operation ended.
 */
export const operationLocation = {
  'Operation-Location': uriHeader(
    'The status monitor (Azure REST API guidelines): the same URL as `Location`; its `status` is `queued`, `running`, ' +
      '`succeeded`, `failed` or `canceled`.',
  ),
};
export const noStore = { 'Cache-Control': stringHeader('`no-store`: a process changes while it runs.') };

/** The headers of every `202` about a process: where and when to poll. */
export const pollingHeaders = { ...location, ...operationLocation, ...retryAfter, ...noStore };

export const preferenceApplied = {
  'Preference-Applied': stringHeader('`wait=N` when the request asked to wait (`Prefer: wait=N`).', false),
};

/** What any operation can answer besides its own: a bug (500). */
export const internalError = { 500: problemAnswer('An unexpected error (logged by the server).') };

/** What any operation that reads or writes Temporal can answer besides its own. */
export const temporalErrors = {
  ...internalError,
  503: {
    description: 'Temporal does not answer; try again after `Retry-After` seconds.',
    headers: retryAfter,
    content: problemContent,
  },
};

/** An OpenAPI link to the operation that takes the answer's `id`. */
export const idLink = (operationId: string, description: string) => ({
  operationId,
  parameters: { id: '$response.body#/id' },
  description,
});

/** The operations a process's answers lead to, by its `id` (OpenAPI links). */
export const processLinks = {
  GetProcess: idLink('getProcess', 'Read (or wait for) the process.'),
  CancelProcess: idLink('cancelProcess', 'Cancel the process.'),
  CreateAccessToken: idLink('createAccessToken', 'A browser token that reads the process.'),
  FollowProcess: idLink('followProcess', "Follow the process's events."),
};
