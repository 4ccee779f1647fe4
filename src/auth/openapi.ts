/**
 * Authentication in `/openapi.json`, from the same declaration that enforces it: `secured(route,
 * access)` puts the `authorize` middleware on a route, names its security requirement (the scope
 * as a role, OpenAPI 3.1 §4.8.30) and documents its 400/401/403/429 answers and rate-limit headers.
 */
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { problemContent } from '../api/openapi.js';
import { scopes } from '../contract/scopes.js';
import { authorize, type Access } from './middleware.js';
import { ratePolicyName } from './rate-limiter.js';

export const securitySchemes = {
  apiKey: 'apiKey',
  accessToken: 'accessToken',
  accessTokenQuery: 'accessTokenQuery',
} as const;

/** Declare the schemes once, on the app's registry. */
export function registerSecuritySchemes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', securitySchemes.apiKey, {
    type: 'http',
    scheme: 'bearer',
    description:
      `An API key of one tenant (\`lrk_…\`), created with \`npm run --silent api-key -- create --tenant <name>\`. ` +
      `Each key has scopes (${scopes.map((s) => `\`${s}\``).join(', ')}); each operation names the one it needs.`,
  });
  registry.registerComponent('securitySchemes', securitySchemes.accessToken, {
    type: 'http',
    scheme: 'bearer',
    description:
      'A browser token (`lrt_…`) from `POST /processes/{id}/access-tokens`: reads that one process and its event stream until it expires.',
  });
  registry.registerComponent('securitySchemes', securitySchemes.accessTokenQuery, {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description:
      'A browser token as a query parameter (RFC 6750 §2.3), for `EventSource`, which cannot set headers.',
  });
}

const challenge = {
  'WWW-Authenticate': {
    description: 'RFC 6750: `Bearer realm="longrun"`, with `error` (and `scope`) when a token was sent.',
    schema: { type: 'string' as const },
  },
};

const rateLimitFields = {
  'RateLimit-Policy': {
    description: `The key's rate (draft-ietf-httpapi-ratelimit-headers), e.g. \`"${ratePolicyName}";q=10;w=1\`; only for keys with a rate.`,
    schema: { type: 'string' as const },
  },
  RateLimit: {
    description: `Requests left and seconds until the next one, e.g. \`"${ratePolicyName}";r=9;t=1\`; only for keys with a rate.`,
    schema: { type: 'string' as const },
  },
};

type Responses = RouteConfig['responses'];
type ResponseEntry = Responses[string];

function withHeaders(response: ResponseEntry, headers: Record<string, unknown>): ResponseEntry {
  if ('$ref' in response) return response;
  const config = response as { headers?: unknown };
  // Headers given as a zod object stay as they are (none of ours are).
  if (typeof config.headers === 'object' && config.headers !== null && 'shape' in config.headers)
    return response;
  return { ...response, headers: { ...(config.headers as object | undefined), ...headers } } as ResponseEntry;
}

/** A route that needs `access`: enforced by its middleware, documented in its operation. */
export function secured<R extends RouteConfig>(
  route: R,
  access: Access,
): R & { middleware: MiddlewareHandler[] } {
  const responses: Responses = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = status.startsWith('2') ? withHeaders(response, rateLimitFields) : response;
  }
  const existing400 = responses['400'];
  responses['400'] = {
    description: `${existing400 && 'description' in existing400 ? `${existing400.description} ` : ''}Or credentials sent twice, or both as a header and a parameter (\`invalid_request\`).`,
    headers: challenge,
    content: problemContent,
  };
  responses['401'] = {
    description: access.browserTokens
      ? 'No credentials, or an unknown or revoked key, or a browser token that is expired, tampered with or for another process.'
      : 'No credentials, or an unknown or revoked key.',
    headers: challenge,
    content: problemContent,
  };
  responses['403'] = {
    description: `The key lacks the \`${access.scope}\` scope${access.browserTokens ? '' : ', or a browser token was used'}.`,
    headers: challenge,
    content: problemContent,
  };
  const existing429 = responses['429'];
  responses['429'] = {
    description: `${existing429 && 'description' in existing429 ? `${existing429.description} Or over` : 'Over'} the key's request rate: retry after \`Retry-After\` seconds.`,
    headers: {
      'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' as const } },
      ...rateLimitFields,
    },
    content: problemContent,
  };
  const own =
    route.middleware === undefined
      ? []
      : Array.isArray(route.middleware)
        ? route.middleware
        : [route.middleware];
  return {
    ...route,
    security: [
      { [securitySchemes.apiKey]: [access.scope] },
      ...(access.browserTokens
        ? [{ [securitySchemes.accessToken]: [] }, { [securitySchemes.accessTokenQuery]: [] }]
        : []),
    ],
    responses,
    middleware: [authorize(access), ...(own as MiddlewareHandler[])],
  };
}
