/**
 * Reading a request's credentials (RFC 6750): an `Authorization: Bearer <token>` header, or an
 * `access_token` query parameter (§2.3, for `EventSource`, which cannot set headers). Pure, so
 * that every odd form is decided in one place and tested without a server.
 */
import { maxCredentialLength } from './api-keys.js';

export type Credentials =
  /** No credentials at all, or only of another scheme (`Basic …`). */
  | { kind: 'none'; detail: string }
  | { kind: 'bearer'; token: string; from: 'header' | 'query' }
  /** 400 `invalid_request`: credentials sent twice, or two ways. */
  | { kind: 'ambiguous'; detail: string }
  /** 401 `invalid_token`: a Bearer credential that cannot be a token of ours. */
  | { kind: 'malformed'; detail: string };

/** RFC 6750 `b64token`. */
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * @param authorization the `Authorization` header as received (repeated headers arrive joined by ", ")
 * @param queryTokens every `access_token` query parameter
 */
export function readCredentials(
  authorization: string | undefined,
  queryTokens: readonly string[],
): Credentials {
  if (queryTokens.length > 1) return { kind: 'ambiguous', detail: 'More than one access_token parameter.' };
  const header = authorization?.trim();
  if (header !== undefined && header !== '' && queryTokens.length > 0) {
    return {
      kind: 'ambiguous',
      detail: 'Send the token either in Authorization or as access_token, not both.',
    };
  }
  if (queryTokens.length === 1) return checked(queryTokens[0]!, 'query');
  if (header === undefined || header === '') {
    return { kind: 'none', detail: 'Send an API key: Authorization: Bearer <key>.' };
  }
  const space = header.search(/[ \t]/);
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    return { kind: 'none', detail: 'Only the Bearer scheme is accepted: Authorization: Bearer <key>.' };
  }
  const token = space < 0 ? '' : header.slice(space).trim();
  if (/,\s*bearer[ \t]/i.test(token))
    return { kind: 'ambiguous', detail: 'More than one Authorization header.' };
  return checked(token, 'header');
}

function checked(token: string, from: 'header' | 'query'): Credentials {
  if (token === '') return { kind: 'malformed', detail: 'The Bearer token is empty.' };
  if (token.length > maxCredentialLength) {
    return { kind: 'malformed', detail: `The token is longer than ${maxCredentialLength} characters.` };
  }
  if (!b64token.test(token)) return { kind: 'malformed', detail: 'The token has characters no token has.' };
  return { kind: 'bearer', token, from };
}
