/** The Temporal server, its SQL schema tool, the Web UI server and the server module's source. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface TemporalBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql). */
  sqlTool: string;
  /** `temporal-ui-server` (github.com/temporalio/ui-server/v2/cmd/server, the web app embedded). */
  uiServer: string;
  /** The server module in the Go module cache: `schema/postgresql/v12`, `config/` (read-only). */
  serverModule: string;
}

let found: TemporalBinaries | undefined;

/**
 * Found or built by scripts/temporal-server.sh (cached in ~/.cache/longrun, never downloaded),
 * once per process. The first build takes several minutes; its progress goes to our stderr.
 */
export function temporalBinaries(): TemporalBinaries {
  if (found) return found;
  const script = fileURLToPath(new URL('../temporal-server.sh', import.meta.url));
  const printed = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const parts = new Map(
    printed
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as const;
      }),
  );
  const part = (name: string): string => {
    const value = parts.get(name);
    if (!value) throw new Error(`scripts/temporal-server.sh printed no ${name}= line:\n${printed}`);
    return value;
  };
  found = {
    server: part('server'),
    sqlTool: part('sql'),
    uiServer: part('ui'),
    serverModule: part('module'),
  };
  return found;
}
