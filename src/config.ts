import { randomBytes } from 'node:crypto';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { parseAccessTokenSecrets } from './auth/access-tokens.js';
import { defaultKeysFile } from './auth/keys-file.js';
import { tenantNamePattern } from './contract/scopes.js';
import { readOrCreateDevSecret } from './dev-secret.js';
import { KeyRing, parseMasterKeys } from './crypto/keyring.js';
import { parseWebhookSecrets } from './webhooks/signing.js';

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
/** An optional setting that may also be set empty (as OpenTelemetry's spec treats empty: unset). */
const unlessEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
/** An optional list parsed by `parse` (unset when blank); what `parse` throws is the setting's issue. */
const parsedList = <T>(parse: (text: string) => T) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });
const otlpProtocol = z.enum(['http/protobuf', 'http/json', 'grpc']);

/**
 * Every setting longrun reads, from one schema. Temporal connection settings (address,
 * namespace, TLS, API key, profiles) are not here: they come from `@temporalio/envconfig`,
 * the standard `TEMPORAL_*` variables and config file, see {@link loadTemporalConfig}.
 */
const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Base for absolute `Location` URLs; by default taken from each request's Host. */
  PUBLIC_BASE_URL: z.url().optional(),
  TASK_QUEUE: z.string().min(1).default('longrun'),
  /** Where the Temporal Web UI is, for `links.ui`. */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  MAX_BODY_BYTES: int(1, 1024 * 1024),
  RETRY_AFTER_SECONDS: int(1, 1),
  /** Cap for `Prefer: wait=N`: the longest a request may be held open waiting for a process to end. */
  MAX_WAIT_SECONDS: int(0, 60),
  /**
   * Least time between two heartbeats of a runner that carry news (progress, checkpoint), and
   * before an attempt's first: how fresh progress is, and at most how much work a crash redoes.
   */
  PROGRESS_INTERVAL_MS: int(100, 1000),
  /**
   * Standard Webhooks signing secrets, `whsec_…[,whsec_…]`: every one signs (rotate by adding the
   * new one, then removing the old). Unset outside production: a dev-only secret is generated.
   */
  WEBHOOK_SECRETS: z.string().optional(),
  /** Callback hosts or CIDR ranges allowed (empty: any not denied). */
  CALLBACK_ALLOW_HOSTS: z.string().default(''),
  /** Callback hosts or CIDR ranges denied, on top of link-local and cloud metadata addresses. */
  CALLBACK_DENY_HOSTS: z.string().default(''),
  /** How often one shared watch per process and API instance looks for changes (event streams). */
  EVENTS_POLL_INTERVAL_MS: int(50, 500),
  /** Comment keep-alives on event streams, so proxies do not close an idle one. */
  EVENTS_KEEPALIVE_MS: int(1000, 15_000),
  /** How many runners one worker runs at once; further processes wait, `queued`, for a free slot. */
  MAX_CONCURRENT_RUNNERS: int(1, 100),
  /** Terminal processes kept in the API's memory (they never change). */
  TERMINAL_CACHE_SIZE: int(0, 10_000),
  /** The folder of the local artifact store (shared by the API and every worker). */
  ARTIFACTS_DIR: z.string().min(1).default('.data/artifacts'),
  /** The largest artifact `POST /artifacts` accepts (default 1 GiB). */
  MAX_ARTIFACT_BYTES: int(0, 1024 ** 3),
  /**
   * Master keys that wrap the data key of every encrypted file: `keyId:base64key[,…]`, 32-byte
   * keys. Unset outside production: a dev-only key is generated (see {@link loadKeyRing}).
   */
  MASTER_KEYS: parsedList(parseMasterKeys),
  /** The master key that wraps the data keys of new files (default: the first of MASTER_KEYS). */
  ACTIVE_MASTER_KEY_ID: z.string().min(1).optional(),
  /**
   * The keys file: API keys (hashes), their tenants, scopes and limits, and each tenant's webhook
   * signing secrets. Managed with `npm run api-key`; API and workers reload it when it changes.
   */
  API_KEYS_FILE: z.string().min(1).default(defaultKeysFile),
  /**
   * Secrets that sign browser tokens, `secret[,secret…]`, each at least 32 characters: the first
   * signs, every one verifies (rotate by putting the new one first). The same on every API
   * instance. Unset outside production: a dev-only secret is generated.
   */
  ACCESS_TOKEN_SECRETS: parsedList(parseAccessTokenSecrets),
  /**
   * Workers: the tenant of processes started through the Nexus endpoint (a Nexus caller is a
   * workflow of another namespace, not an API key). Read them over HTTP with a key of this tenant.
   */
  NEXUS_TENANT: z
    .string()
    .regex(tenantNamePattern, 'a tenant name: lower case letters, digits, . _ -')
    .default('dev'),
  /** Testing aid: runners process at most about this many bytes a second (0: full speed). */
  RUNNER_THROTTLE_BYTES_PER_SEC: int(0, 0),
  NODE_ENV: z.string().optional(),

  // Operations: logs, metrics, traces, readiness, drain (see the README's "Operating longrun").
  /** The least level logged (pino's levels). */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** `json` (one JSON object a line) or `pretty`; default pretty on a terminal outside production. */
  LOG_FORMAT: unlessEmpty(z.enum(['json', 'pretty'])),
  /** The worker's metrics and readiness port (`/metrics`, `/healthz`, `/readyz`); unset: none. */
  WORKER_METRICS_PORT: unlessEmpty(z.coerce.number().int().min(0).max(65535)),
  WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * API: after SIGTERM, how long `/readyz` says `draining` while everything is still served, so
   * that load balancers stop sending before the listener closes.
   */
  DRAIN_DELAY_MS: int(0, 2000),
  /** API: after the drain delay, the longest to wait for requests in flight before exiting. */
  DRAIN_TIMEOUT_MS: int(0, 30_000),
  /**
   * Worker: after SIGTERM, how long running runners may go on before they are asked to stop
   * (they then record their last checkpoint for the next attempt).
   */
  WORKER_SHUTDOWN_GRACE_MS: int(0, 10_000),
  /**
   * OpenTelemetry, the standard variables (the SDK reads them too; they are checked here).
   * Tracing is on when an OTLP endpoint is set.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: unlessEmpty(z.url()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unlessEmpty(z.url()),
  OTEL_EXPORTER_OTLP_PROTOCOL: unlessEmpty(otlpProtocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: unlessEmpty(otlpProtocol),
  OTEL_SERVICE_NAME: unlessEmpty(z.string()),
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse the environment once; throws a {@link ConfigError} naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Temporal connection settings, the standard way (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, profile file). */
export function loadTemporalConfig() {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  return { connectionOptions, namespace: namespace ?? 'default' };
}

/** Where the dev-only master key is kept when MASTER_KEYS is unset (never in production). */
export const devMasterKeyFile = '.data/dev-master-key';

/**
 * The worker's master keys: MASTER_KEYS, or else — outside production only — a dev-only key,
 * generated once into {@link devMasterKeyFile} (owner-only) so that it is never a key published
 * in source code. With NODE_ENV=production, MASTER_KEYS is required.
 */
export async function loadKeyRing(
  config: Pick<Config, 'MASTER_KEYS' | 'ACTIVE_MASTER_KEY_ID' | 'NODE_ENV'>,
  devKeyFile = devMasterKeyFile,
): Promise<{ keys: KeyRing; devOnly: boolean }> {
  if (config.MASTER_KEYS) {
    const active = config.ACTIVE_MASTER_KEY_ID;
    if (active !== undefined && !config.MASTER_KEYS.some((key) => key.id === active)) {
      throw new ConfigError(
        `Invalid configuration:\n  ACTIVE_MASTER_KEY_ID: no key in MASTER_KEYS has id "${active}"`,
      );
    }
    return { keys: new KeyRing(config.MASTER_KEYS, active), devOnly: false };
  }
  if (config.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  MASTER_KEYS: required when NODE_ENV=production');
  }
  const text = await readOrCreateDevSecret(
    devKeyFile,
    () => `dev-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`,
  );
  return { keys: new KeyRing(parseMasterKeys(text)), devOnly: true };
}

/** Run an entry point: print a config error plainly (no stack) and exit non-zero. */
export function exitOnStartupError(err: unknown): never {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

/** Where the dev-only webhook secret is kept when WEBHOOK_SECRETS is unset (never in production). */
export const devWebhookSecretFile = '.data/dev-webhook-secret';

/**
 * The webhook signing secrets: WEBHOOK_SECRETS, or else — outside production only — a dev-only
 * secret generated once into {@link devWebhookSecretFile}, shared by the API and workers of one
 * machine. In production without WEBHOOK_SECRETS, callbacks are refused.
 */
export async function loadWebhookSecrets(
  config: Pick<Config, 'WEBHOOK_SECRETS' | 'NODE_ENV'>,
  devSecretFile = devWebhookSecretFile,
): Promise<Buffer[]> {
  if (config.WEBHOOK_SECRETS?.trim()) {
    try {
      return parseWebhookSecrets(config.WEBHOOK_SECRETS);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  WEBHOOK_SECRETS: ${(err as Error).message}`);
    }
  }
  if (config.NODE_ENV === 'production') return [];
  const secret = await readOrCreateDevSecret(
    devSecretFile,
    () => `whsec_${randomBytes(32).toString('base64')}`,
  );
  return parseWebhookSecrets(secret);
}
