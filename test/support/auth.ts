/** Keys and credentials for tests that build the API in process (`app.request()`). */
import { randomBytes } from 'node:crypto';
import type { Scope } from '../../src/contract/scopes.js';
import { addApiKey, type NewKeyOptions } from '../../src/auth/key-admin.js';
import { KeyStore } from '../../src/auth/key-store.js';
import { emptyKeysFile, type KeysFile } from '../../src/auth/keys-file.js';
import { rotateWebhookSecret } from '../../src/auth/webhook-secrets.js';

export interface TestKeys {
  file: KeysFile;
  keys: KeyStore;
  accessTokenSecrets: Buffer[];
  /** The secret of a key of tenant `t1` with every scope. */
  defaultKey: string;
  /** Another key (a new in-memory store is built from the file each time: call before createApp). */
  add(options: NewKeyOptions): string;
}

/** A keys file in memory: tenant `t1` with an all-scopes key and a webhook secret. */
export function testKeys(): TestKeys {
  const file = emptyKeysFile();
  const { secret: defaultKey } = addApiKey(file, { tenant: 't1' });
  rotateWebhookSecret(file, 't1');
  const keys: TestKeys = {
    file,
    keys: KeyStore.of(file),
    accessTokenSecrets: [randomBytes(32)],
    defaultKey,
    add(options) {
      const { secret } = addApiKey(file, options);
      keys.keys = KeyStore.of(file);
      return secret;
    },
  };
  return keys;
}

export function scopesExcept(...without: Scope[]): Scope[] {
  const all: Scope[] = ['processes:read', 'processes:write', 'artifacts:read', 'artifacts:write'];
  return all.filter((scope) => !without.includes(scope));
}

/** `init` with `Authorization: Bearer <secret>` unless it names its own Authorization. */
export function withBearer(init: RequestInit = {}, secret: string): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${secret}`);
  return { ...init, headers };
}

interface Requester {
  request(input: string | URL | Request, init?: RequestInit, ...rest: never[]): Response | Promise<Response>;
}

/** The app, whose `request()` sends `secret` unless a request names its own Authorization. */
export function authorized<App extends Requester>(app: App, secret: string): App {
  return new Proxy(app, {
    get(target, property, receiver) {
      if (property !== 'request') return Reflect.get(target, property, receiver) as unknown;
      return (input: string | URL | Request, init?: RequestInit) =>
        input instanceof Request
          ? target.request(new Request(input, withBearer({ headers: input.headers }, secret)))
          : target.request(input, withBearer(init, secret));
    },
  });
}
