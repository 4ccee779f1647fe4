/**
 * The one logger of the API and of the worker: pino, one JSON object a line on stdout (`time`,
 * `level` as a word, `service`, `msg`, then the fields of the line), or, on a terminal outside
 * production (or with LOG_FORMAT=pretty), pino-pretty's readable lines.
 */
import { hostname } from 'node:os';
import { pino, stdSerializers, stdTimeFunctions, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  /** Which process logs: `api` or `worker` (the `service` field of every line). */
  service: string;
  level: LevelWithSilent;
  /** Forced format; default pretty on a terminal outside production, JSON otherwise. */
  format?: 'json' | 'pretty' | undefined;
  nodeEnv?: string | undefined;
}

export function createLogger({ service, level, format, nodeEnv }: LoggerOptions): Logger {
  const readable = format ? format === 'pretty' : process.stdout.isTTY === true && nodeEnv !== 'production';
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Errors under either name render with type, message and stack.
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
  };
  if (!readable) return pino(options);
  // In-process (no worker thread), synchronous: nothing is lost when the process exits.
  return pino(
    options,
    pretty({ colorize: process.stdout.isTTY === true, sync: true, ignore: 'pid,hostname' }),
  );
}
