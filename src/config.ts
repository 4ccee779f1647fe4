import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

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
  /** How long a status query may wait for a worker before the API answers from describe. */
  STATUS_QUERY_TIMEOUT_MS: int(50, 1000),
  /** Minimum spacing of a runner's progress signals to its workflow. */
  PROGRESS_SIGNAL_INTERVAL_MS: int(100, 1000),
  /** Longest a runner's heartbeat (and checkpoint) waits in the worker before reaching the server. */
  HEARTBEAT_FLUSH_INTERVAL_MS: int(100, 1000),
  /** Terminal processes kept in the API's memory (they never change). */
  TERMINAL_CACHE_SIZE: int(0, 10_000),
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

/** Run an entry point: print a config error plainly (no stack) and exit non-zero. */
export function exitOnStartupError(err: unknown): never {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
