/** Pieces the route definitions share in `/openapi.json`: problem answers and polling headers. */
import { problem } from '../contract/resources.js';

export const problemContent = { 'application/problem+json': { schema: problem } } as const;

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before polling again.',
    schema: { type: 'integer' as const },
  },
};
const location = {
  Location: {
    description: 'Absolute URL of the process.',
    schema: { type: 'string' as const, format: 'uri' },
  },
};
export const pollingHeaders = { ...location, ...retryAfter };

export const preferenceApplied = {
  'Preference-Applied': {
    description: '`wait=N` when the wait preference was honoured.',
    schema: { type: 'string' as const },
  },
};
