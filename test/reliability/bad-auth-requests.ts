/**
 * The authentication part of the bad-request corpus (test/reliability/bad-requests.test.ts):
 * missing and odd schemes, empty, quoted, huge and binary tokens, repeated Authorization
 * headers, and browser-token query parameters gone wrong. Each must be a 4xx problem+json.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface AuthCase {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  rawHeaders?: (string | Buffer)[];
  body?: string;
  anonymous?: boolean;
  status?: number;
}

const json = { 'Content-Type': 'application/json' };
const valid = '{"kind":"delay","input":{"seconds":1}}';
const unknownKey = `lrk_${randomBytes(24).toString('base64url')}`;
const processPath = `/processes/${randomUUID()}`;

/** GET /processes and a valid POST /processes, each with `authorization` as the only credentials. */
const both = (what: string, authorization: string | Buffer, status?: number): AuthCase[] => {
  const header =
    typeof authorization === 'string'
      ? { headers: { Authorization: authorization } }
      : { rawHeaders: [Buffer.concat([Buffer.from('Authorization: '), authorization])] };
  const expected = status === undefined ? {} : { status };
  return [
    { name: `list with ${what}`, method: 'GET', path: '/processes', ...header, ...expected },
    {
      name: `start with ${what}`,
      method: 'POST',
      path: '/processes',
      ...header,
      body: valid,
      ...expected,
      headers: { ...json, ...header.headers },
    },
  ];
};

export function authCorpus(validKey: () => string): AuthCase[] {
  return [
    { name: 'list without credentials', method: 'GET', path: '/processes', anonymous: true, status: 401 },
    {
      name: 'start without credentials',
      method: 'POST',
      path: '/processes',
      headers: json,
      body: valid,
      anonymous: true,
      status: 401,
    },
    {
      name: 'cancel without credentials',
      method: 'POST',
      path: `${processPath}/cancel`,
      anonymous: true,
      status: 401,
    },
    {
      name: 'upload without credentials',
      method: 'POST',
      path: '/artifacts',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: 'x',
      anonymous: true,
      status: 401,
    },
    ...both('Basic', 'Basic dXNlcjpwYXNz', 401),
    ...both('Digest', 'Digest username="a", realm="longrun", nonce="x"', 401),
    ...both('scheme Token', `Token ${unknownKey}`, 401),
    ...both('the scheme glued to the key', `Bearer${unknownKey}`, 401),
    ...both('Bearer and no token', 'Bearer', 401),
    ...both('Bearer and spaces', 'Bearer    ', 401),
    ...both('only spaces', '     ', 401),
    ...both('a quoted token', `Bearer "${unknownKey}"`, 401),
    ...both('a token with spaces', 'Bearer lrk_a lrk_b', 401),
    ...both('an unknown key', `Bearer ${unknownKey}`, 401),
    ...both('a forged browser token', 'Bearer lrt_eyJ2IjoxfQ.c2lnbmF0dXJl', 401),
    ...both('a 2,000-character token', `Bearer ${'A'.repeat(2000)}`, 401),
    ...both('a 12,000-character token', `Bearer ${'A'.repeat(12_000)}`, 401),
    // Past Node's 16 KiB header limit: answered before any route (431).
    ...both('a 20,000-character token', `Bearer ${'A'.repeat(20_000)}`),
    ...both(
      'a token of bytes 0x80–0xff',
      Buffer.concat([
        Buffer.from('Bearer lrk_'),
        Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i)),
      ]),
    ),
    ...both('a token with a NUL byte', Buffer.from('Bearer lrk_abc\0def')),
    ...both('a token with a control character', Buffer.from('Bearer lrk_abc\x01def')),
    ...both('a UTF-8 token', Buffer.from('Bearer lrk_ключ€', 'utf8')),
    {
      name: 'start with Authorization twice (the same key)',
      method: 'POST',
      path: '/processes',
      headers: json,
      get rawHeaders() {
        return [`Authorization: Bearer ${validKey()}`, `Authorization: Bearer ${validKey()}`];
      },
      body: valid,
      status: 400,
    },
    {
      name: 'list with Authorization twice (a key, then Basic)',
      method: 'GET',
      path: '/processes',
      get rawHeaders() {
        return [`Authorization: Bearer ${validKey()}`, 'Authorization: Basic dXNlcjpwYXNz'];
      },
    },
    {
      name: 'list with Authorization twice (Basic, then a key)',
      method: 'GET',
      path: '/processes',
      get rawHeaders() {
        return ['Authorization: Basic dXNlcjpwYXNz', `Authorization: Bearer ${validKey()}`];
      },
    },
    {
      name: 'an empty access_token',
      method: 'GET',
      path: `${processPath}?access_token=`,
      anonymous: true,
      status: 401,
    },
    {
      name: 'access_token twice',
      method: 'GET',
      path: `${processPath}?access_token=lrt_a.b&access_token=lrt_c.d`,
      anonymous: true,
      status: 400,
    },
    {
      name: 'an API key as access_token',
      method: 'GET',
      path: `/processes?access_token=${unknownKey}`,
      anonymous: true,
      status: 401,
    },
    {
      name: 'access_token and Authorization both',
      method: 'GET',
      path: `${processPath}?access_token=lrt_a.b`,
      status: 400,
    },
    {
      name: 'a forged access_token on the event stream',
      method: 'GET',
      path: `${processPath}/events?access_token=lrt_eyJ2IjoxfQ.c2ln`,
      anonymous: true,
      status: 401,
    },
    {
      name: 'a 10,000-character access_token',
      method: 'GET',
      path: `${processPath}?access_token=${'A'.repeat(10_000)}`,
      anonymous: true,
    },
    {
      name: 'a binary access_token',
      method: 'GET',
      path: `${processPath}/events?access_token=%00%ff%fe%80`,
      anonymous: true,
      status: 401,
    },
  ];
}
