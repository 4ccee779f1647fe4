/**
 * What the API and the worker load at start for authentication: the keys file (watched), and the
 * browser-token secrets. Fails fast, with a message naming the setting, on what cannot work.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { readOrCreateDevSecret } from '../dev-secret.js';
import { parseAccessTokenSecrets } from './access-tokens.js';
import { KeyStore } from './key-store.js';
import { KeysFileError } from './keys-file.js';

/** Where the dev-only browser-token secret is kept when ACCESS_TOKEN_SECRETS is unset (never in production). */
export const devAccessTokenSecretFile = '.data/dev-access-token-secret';

/** The keys file, loaded and watched; a malformed one stops the process with its problems named. */
export async function openKeyStore(config: Pick<Config, 'API_KEYS_FILE'>): Promise<KeyStore> {
  try {
    return await KeyStore.open({ path: config.API_KEYS_FILE });
  } catch (err) {
    if (err instanceof KeysFileError)
      throw new ConfigError(`Invalid configuration:\n  API_KEYS_FILE: ${err.message}`);
    throw err;
  }
}

/**
 * The API's keys: with NODE_ENV=production there must be at least one, or the API would answer
 * nothing but 401s; outside production it starts anyway and says how to make one.
 */
export async function openApiKeys(config: Pick<Config, 'API_KEYS_FILE' | 'NODE_ENV'>): Promise<KeyStore> {
  const keys = await openKeyStore(config);
  if (keys.activeKeyIds().size > 0) return keys;
  const how = `create one with: API_KEYS_FILE=${config.API_KEYS_FILE} npm run --silent api-key -- create --tenant <name>`;
  if (config.NODE_ENV === 'production') {
    keys.close();
    throw new ConfigError(
      `Invalid configuration:\n  API_KEYS_FILE: ${config.API_KEYS_FILE} holds no API key, so every request would be refused; ${how}`,
    );
  }
  console.warn(
    `longrun API: no API keys in ${config.API_KEYS_FILE}, so every request is refused (401); ${how}`,
  );
  return keys;
}

/**
 * ACCESS_TOKEN_SECRETS, or else — outside production only — a dev-only secret generated once into
 * {@link devAccessTokenSecretFile}, shared by the API processes of one machine.
 */
export async function loadAccessTokenSecrets(
  config: Pick<Config, 'ACCESS_TOKEN_SECRETS' | 'NODE_ENV'>,
  devSecretFile = devAccessTokenSecretFile,
): Promise<Buffer[]> {
  if (config.ACCESS_TOKEN_SECRETS) return config.ACCESS_TOKEN_SECRETS;
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration:\n  ACCESS_TOKEN_SECRETS: required when NODE_ENV=production (the same on every API instance; e.g. openssl rand -base64 32)',
    );
  }
  const secret = await readOrCreateDevSecret(devSecretFile, () => randomBytes(32).toString('base64url'));
  return parseAccessTokenSecrets(secret);
}
