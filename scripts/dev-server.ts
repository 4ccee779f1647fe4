/** How longrun runs a Temporal dev server: shared by the local stack, the tests and the benchmarks. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SearchAttributeType } from '@temporalio/common';
import { longrunSearchAttributes } from '../src/shared/search-attributes.js';

/** The Temporal CLI to use, found or built by scripts/temporal-cli.sh (never downloaded). */
export function temporalCliPath(): string {
  const script = fileURLToPath(new URL('./temporal-cli.sh', import.meta.url));
  return execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
}

export interface DevServerOptions {
  port: number;
  uiPort?: number;
  dbFilename?: string;
  /** Server dynamic config overrides (`--dynamic-config-value KEY=VALUE`, values JSON-encoded). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Leave these of longrun's search attributes out (to test readiness against a namespace lacking one). */
  withoutSearchAttributes?: string[];
}

const cliTypeName: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `temporal server start-dev` arguments with longrun's search attributes registered. */
export function devServerArgs({
  port,
  uiPort,
  dbFilename,
  dynamicConfig = {},
  withoutSearchAttributes = [],
}: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(dbFilename ? ['--db-filename', dbFilename] : []),
    ...longrunSearchAttributes
      .filter((key) => !withoutSearchAttributes.includes(key.name))
      .flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeName[key.type]}`]),
    ...Object.entries(dynamicConfig).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
    '--log-level',
    'warn',
  ];
}
