/**
 * `POST /processes/{id}/access-tokens`: a browser token that reads one process (its resource and
 * event stream) for a while, so that a web page can follow a process without holding an API key.
 * Mount it at `/processes`, beside the processes router.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  defaultAccessTokenTtlSeconds,
  maxAccessTokenTtlSeconds,
  signAccessToken,
} from '../../auth/access-tokens.js';
import { secured } from '../../auth/openapi.js';
import { keyPrincipalOf } from '../../auth/principal.js';
import { accessTokenResource } from '../../contract/resources.js';
import type { ProcessGateway } from '../../gateway/port.js';
import { limitRequestBody } from '../body-limit.js';
import { problemAnswer, stringHeader, temporalErrors } from '../openapi.js';
import { notFoundProblem } from '../problem.js';
import { processIdParams } from '../request-schemas.js';
import { validationHook } from '../validation.js';

export interface AccessTokenRoutesOptions {
  gateway: ProcessGateway;
  /** `ACCESS_TOKEN_SECRETS`; the first signs. */
  secrets: readonly Buffer[];
}

const accessTokenRequest = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(maxAccessTokenTtlSeconds)
      .optional()
      .openapi({
        description: `How long the token lasts (default ${defaultAccessTokenTtlSeconds} s, at most 24 h).`,
      }),
  })
  .strict()
  .openapi('AccessTokenRequest');

const createTokenRoute = createRoute({
  method: 'post',
  path: '/{id}/access-tokens',
  operationId: 'createAccessToken',
  summary: 'Create a browser token for a process',
  description:
    'A signed token that reads this one process — `GET /processes/{id}` and its event stream — until it expires, ' +
    'as a Bearer header or as `?access_token=` (for `EventSource`). Revoking the key that created it revokes it too. ' +
    'The body is optional.',
  request: {
    params: processIdParams,
    body: { required: false, content: { 'application/json': { schema: accessTokenRequest } } },
  },
  responses: {
    201: {
      description: 'The token.',
      headers: { 'Cache-Control': stringHeader('`no-store`: the token is a credential.') },
      content: { 'application/json': { schema: accessTokenResource } },
    },
    400: problemAnswer('Malformed JSON, or an invalid `ttlSeconds` (see `errors`).'),
    404: problemAnswer("No such process (or another tenant's)."),
    413: problemAnswer('The body is larger than 4096 bytes.'),
    415: problemAnswer('The body is not `application/json`.'),
    ...temporalErrors,
  },
});

export function accessTokenRoutes({ gateway, secrets }: AccessTokenRoutesOptions) {
  const route = secured(createTokenRoute, { scope: 'processes:read' });
  const tooLarge = limitRequestBody(4096);
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(
    { ...route, middleware: [...route.middleware, tooLarge] },
    async (c) => {
      const key = keyPrincipalOf(c);
      const { id } = c.req.valid('param');
      const { ttlSeconds = defaultAccessTokenTtlSeconds } = c.req.valid('json');
      if (!(await gateway.get(key.tenant, id))) throw notFoundProblem('Process', id);
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + ttlSeconds * 1000);
      const token = signAccessToken(
        { processId: id, tenant: key.tenant, keyId: key.keyId, expiresAt },
        secrets[0]!,
      );
      return c.json({ token, expiresAt: expiresAt.toISOString() }, 201, { 'Cache-Control': 'no-store' });
    },
  );
}
