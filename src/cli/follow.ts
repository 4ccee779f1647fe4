/**
 * `longrun follow <id>`: a process's events until it ends. On a terminal, a live progress bar
 * (cli-progress) with the status and message; piped, one JSON line per event (the resource).
 */
import cliProgress from 'cli-progress';
import type { LongrunClient, ProcessResource } from '../client/index.js';

export async function follow(
  client: LongrunClient,
  id: string,
  out: NodeJS.WriteStream = process.stdout,
): Promise<ProcessResource | undefined> {
  let last: ProcessResource | undefined;
  if (!out.isTTY) {
    for await (const resource of client.events(id)) {
      out.write(`${JSON.stringify(resource)}\n`);
      last = resource;
    }
    return last;
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: out,
      format: '{kind} {id} [{bar}] {percentage}% | {status} | {message}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { id, kind: '', status: 'connecting', message: '' });
  try {
    for await (const resource of client.events(id)) {
      last = resource;
      bar.update(resource.progress.percent, {
        kind: resource.kind,
        status: resource.status,
        message: resource.error
          ? `${resource.error.title}: ${resource.error.detail}`
          : resource.progress.message,
      });
    }
  } finally {
    bar.stop();
  }
  return last;
}
