/** Who a request acts for, as the authentication middleware found it. */
import type { Context } from 'hono';
import type { Scope } from '../contract/scopes.js';
import type { RateLimit } from './keys-file.js';

/** An API key: a tenant, its scopes and limits. */
export interface KeyPrincipal {
  type: 'api-key';
  keyId: string;
  tenant: string;
  scopes: ReadonlySet<Scope>;
  rate?: RateLimit | undefined;
  maxOpen?: number | undefined;
}

/** A browser token: reads one process of one tenant, until it expires. */
export interface AccessTokenPrincipal {
  type: 'access-token';
  /** The key that issued it. */
  keyId: string;
  tenant: string;
  processId: string;
  expiresAt: Date;
}

export type Principal = KeyPrincipal | AccessTokenPrincipal;

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

/** The request's principal; only routes behind the authentication middleware have one. */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal') as Principal | undefined;
  if (!principal)
    throw new Error(`no principal on ${c.req.method} ${c.req.path}: is the route authenticated?`);
  return principal;
}

/** The tenant the request acts for. */
export function tenantOf(c: Context): string {
  return principalOf(c).tenant;
}

/** The request's API key (routes that take no browser token). */
export function keyPrincipalOf(c: Context): KeyPrincipal {
  const principal = principalOf(c);
  if (principal.type !== 'api-key') throw new Error(`a browser token reached ${c.req.method} ${c.req.path}`);
  return principal;
}
