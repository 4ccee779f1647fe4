/**
 * Authentication and authorization, as Hono middleware. `authenticate` runs for every request but
 * the public paths: it finds the API key or browser token, applies the key's rate limit, and puts
 * the principal on the context (or answers 400/401/429). `authorize` runs per route, declared
 * with the route (see `secured` in ./openapi.ts): the scope it needs, and whether browser tokens
 * for the route's process may use it (403 otherwise).
 */
import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../contract/scopes.js';
import { accessTokenPrefix, verifyAccessToken } from './access-tokens.js';
import type { KeyStore } from './key-store.js';
import { principalOf, type Principal } from './principal.js';
import {
  ambiguousCredentials,
  insufficientScope,
  invalidToken,
  missingCredentials,
  rateLimited,
} from './problems.js';
import { readCredentials } from './credentials.js';
import { RateLimiter } from './rate-limiter.js';

/** What every route but these needs: credentials. */
export const publicPaths: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/docs',
]);

export interface AuthOptions {
  keys: KeyStore;
  /** `ACCESS_TOKEN_SECRETS`: the first signs browser tokens, every one verifies. */
  accessTokenSecrets: readonly Buffer[];
  limiter?: RateLimiter;
  now?: () => Date;
}

export function authenticate(options: AuthOptions): MiddlewareHandler {
  const limiter = options.limiter ?? new RateLimiter();
  const now = options.now ?? (() => new Date());
  options.keys.onChange(() => limiter.retain(options.keys.activeKeyIds()));

  const principalFor = (token: string, from: 'header' | 'query'): Principal => {
    if (token.startsWith(accessTokenPrefix)) {
      const checked = verifyAccessToken(token, options.accessTokenSecrets, now());
      if (!checked.valid) {
        throw invalidToken(
          checked.reason === 'expired' ? 'The access token has expired.' : 'The access token is not valid.',
        );
      }
      const { claims } = checked;
      const issuer = options.keys.keyById(claims.keyId);
      if (!issuer || issuer.tenant !== claims.tenant) {
        throw invalidToken('The key that issued this access token has been revoked.');
      }
      return { type: 'access-token', ...claims };
    }
    // API keys in URLs end up in logs and browser histories: only browser tokens may go there.
    if (from === 'query') throw invalidToken('Send API keys in the Authorization header, never in the URL.');
    const key = options.keys.findKey(token);
    if (!key) throw invalidToken('Unknown or revoked API key.');
    return {
      type: 'api-key',
      keyId: key.id,
      tenant: key.tenant,
      scopes: new Set(key.scopes),
      rate: key.rate,
      maxOpen: key.maxOpen,
    };
  };

  return async (c, next) => {
    if (publicPaths.has(c.req.path)) return next();
    const credentials = readCredentials(c.req.header('authorization'), c.req.queries('access_token') ?? []);
    if (credentials.kind === 'none') throw missingCredentials(credentials.detail);
    if (credentials.kind === 'ambiguous') throw ambiguousCredentials(credentials.detail);
    if (credentials.kind === 'malformed') throw invalidToken(credentials.detail);
    const principal = principalFor(credentials.token, credentials.from);
    // Browser tokens draw on the rate of the key that issued them.
    const rate = options.keys.keyById(principal.keyId)?.rate;
    if (rate) {
      const decision = limiter.take(principal.keyId, rate);
      if (!decision.allowed) throw rateLimited(decision.resetSeconds, decision.headers);
      for (const [name, value] of Object.entries(decision.headers)) c.header(name, value);
    }
    c.set('principal', principal);
    await next();
  };
}

/** What a route needs of its caller. */
export interface Access {
  scope: Scope;
  /** Browser tokens of the route's process (`{id}`) may use it too. */
  browserTokens?: boolean;
}

export function authorize(access: Access): MiddlewareHandler {
  return async (c, next) => {
    const principal = principalOf(c);
    if (principal.type === 'access-token') {
      if (!access.browserTokens) {
        throw insufficientScope(
          access.scope,
          'A browser token only reads its process: GET /processes/{id} and its event stream.',
        );
      }
      // Another process's token is as invalid here as a forged one.
      if (c.req.param('id') !== principal.processId)
        throw invalidToken('This access token is for another process.');
    } else if (!principal.scopes.has(access.scope)) {
      throw insufficientScope(access.scope, `This API key lacks the ${access.scope} scope.`);
    }
    await next();
  };
}
