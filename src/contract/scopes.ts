/**
 * Who may do what: the scopes an API key can hold and the form of tenant names. A leaf of the
 * wire contract (pure data), shared by the API, the `api-key` tool and clients.
 */
export const scopes = ['processes:read', 'processes:write', 'artifacts:read', 'artifacts:write'] as const;
export type Scope = (typeof scopes)[number];

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

/**
 * A tenant name: lowercase letters, digits, `.`, `_` and `-`, 1 to 63 characters, starting with a
 * letter or digit. Short enough to be a Temporal fairness key (at most 64 bytes), and free of the
 * quotes and colons that would need escaping in visibility queries and idempotency ids.
 */
export const tenantNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function isTenantName(value: string): boolean {
  return tenantNamePattern.test(value);
}
