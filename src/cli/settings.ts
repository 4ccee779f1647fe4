/**
 * Where the CLI's client connects: `LONGRUN_URL` (default http://localhost:3000) and
 * `LONGRUN_API_KEY` (default: the local stack's dev key in `.data/dev-api-key`, when it exists).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const defaultUrl = 'http://localhost:3000';
export const devApiKeyFile = '.data/dev-api-key';

export interface CliSettings {
  baseUrl: string;
  apiKey?: string;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliSettings {
  const apiKey = env.LONGRUN_API_KEY || readDevKey(cwd);
  return { baseUrl: env.LONGRUN_URL || defaultUrl, ...(apiKey && { apiKey }) };
}

function readDevKey(cwd: string): string | undefined {
  try {
    return readFileSync(resolve(cwd, devApiKeyFile), 'utf8').trim() || undefined;
  } catch {
    return undefined; // no local stack key: send none
  }
}
