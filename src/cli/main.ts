/**
 * The `longrun` command line (`npm run --silent longrun -- <command>`), on the typed client. Output
 * is JSON; the exit code says how the process ended (see exit-codes.ts and the README).
 */
import { createWriteStream, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { processStatuses } from '../contract/process-status.js';
import {
  createLongrunClient,
  LongrunProblemError,
  type KindName,
  type ProcessResource,
} from '../client/index.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { follow } from './follow.js';
import { printError, printJson } from './output.js';
import { readSettings } from './settings.js';

const client = createLongrunClient(readSettings());

const seconds = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('Not a number of seconds.');
  return parsed;
};
const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('Not a positive integer.');
  return parsed;
};
const jsonArgument = (value: string): unknown => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError('Not JSON.');
  }
};

/** Print the process; the exit code is how it stands. */
const report = (resource: ProcessResource): number => {
  printJson(resource);
  return exitCodeOf(resource.status);
};

/** The exit code of the command that ran (commander ignores what an action returns). */
let exitCode: number = ExitCode.Succeeded;
const act =
  <A extends unknown[]>(run: (...args: A) => Promise<number>) =>
  async (...args: A): Promise<void> => {
    exitCode = await run(...args);
  };

const program = new Command('longrun')
  .description(
    'Start, follow and control longrun processes over its HTTP API (LONGRUN_URL, LONGRUN_API_KEY).',
  )
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('Start a process; without --wait, exit 0 once it is accepted.')
  .argument('<kind>', 'the kind of work, e.g. delay')
  .argument('<input>', "the kind's input, as JSON", jsonArgument)
  .option(
    '--wait [seconds]',
    'wait for the process to end (at most this long), exit by how it ended',
    seconds,
  )
  .option('--idempotency-key <key>', 'the same key and input start one process only (default: a new one)')
  .option('--callback <url>', 'send webhook events to this URL')
  .action(
    act(
      async (
        kind: string,
        input: unknown,
        opts: { wait?: number | true; idempotencyKey?: string; callback?: string },
      ) => {
        const started = await client.start(kind as KindName, input as never, {
          ...(opts.idempotencyKey && { idempotencyKey: opts.idempotencyKey }),
          ...(opts.callback && { callback: { url: opts.callback } }),
        });
        if (opts.wait === undefined) {
          printJson(started);
          return ExitCode.Succeeded;
        }
        return report(await client.wait(started.id, opts.wait === true ? {} : { timeoutSeconds: opts.wait }));
      },
    ),
  );

program
  .command('get')
  .description(
    'Print a process; exit by its status (0 succeeded, 3 failed, 4 canceled, 5 queued or running).',
  )
  .argument('<id>')
  .action(act(async (id: string) => report(await client.get(id))));

program
  .command('wait')
  .description(
    'Wait for a process to end and print it; exit by how it ended (5: still running at --timeout).',
  )
  .argument('<id>')
  .option('--timeout <seconds>', 'give up after this long', seconds)
  .action(
    act(async (id: string, opts: { timeout?: number }) =>
      report(await client.wait(id, opts.timeout === undefined ? {} : { timeoutSeconds: opts.timeout })),
    ),
  );

program
  .command('cancel')
  .description('Request cancellation; exit 0 once requested (6 when it has already ended).')
  .argument('<id>')
  .option('--wait', 'wait until the process has stopped, exit by how it ended')
  .action(
    act(async (id: string, opts: { wait?: boolean }) => {
      const requested = await client.cancel(id);
      if (!opts.wait) {
        printJson(requested);
        return ExitCode.Succeeded;
      }
      return report(await client.wait(id));
    }),
  );

program
  .command('list')
  .description('List processes, newest first, every page: one JSON line per process.')
  .addOption(new Option('--status <status>').choices(processStatuses))
  .option('--kind <kind>')
  .option('--created-after <instant>', 'an ISO 8601 instant')
  .option('--created-before <instant>', 'an ISO 8601 instant')
  .option('--page-size <n>', 'processes per request', positiveInt)
  .option('--max <n>', 'stop after this many', positiveInt)
  .action(
    act(
      async (opts: {
        status?: (typeof processStatuses)[number];
        kind?: string;
        createdAfter?: string;
        createdBefore?: string;
        pageSize?: number;
        max?: number;
      }) => {
        let printed = 0;
        if (opts.max === 0) return ExitCode.Succeeded;
        for await (const item of client.list({
          ...(opts.status && { status: opts.status }),
          ...(opts.kind && { kind: opts.kind as KindName }),
          ...(opts.createdAfter && { createdAfter: opts.createdAfter }),
          ...(opts.createdBefore && { createdBefore: opts.createdBefore }),
          ...(opts.pageSize && { limit: opts.pageSize }),
        })) {
          process.stdout.write(`${JSON.stringify(item)}\n`);
          if (++printed === opts.max) break;
        }
        return ExitCode.Succeeded;
      },
    ),
  );

program
  .command('follow')
  .description(
    'Follow a process until it ends: a progress bar on a terminal, one JSON line per event when piped.',
  )
  .argument('<id>')
  .action(
    act(async (id: string) => {
      const last = await follow(client, id);
      return last ? exitCodeOf(last.status) : ExitCode.Error;
    }),
  );

program
  .command('upload')
  .description('Upload a file as an artifact (streamed) and print the artifact.')
  .argument('<file>')
  .option('--content-type <type>', 'stored and served back', 'application/octet-stream')
  .action(
    act(async (file: string, opts: { contentType: string }) => {
      await stat(file); // a missing file is the CLI's error, not an empty upload
      const body = await openAsBlob(file);
      printJson(await client.uploadArtifact(body, { contentType: opts.contentType }));
      return ExitCode.Succeeded;
    }),
  );

program
  .command('download')
  .description('Download an artifact into a file ("-": stdout).')
  .argument('<id>')
  .argument('<file>')
  .action(
    act(async (id: string, file: string) => {
      const artifact = await client.downloadArtifact(id);
      const target = file === '-' ? process.stdout : createWriteStream(file);
      await pipeline(Readable.fromWeb(artifact.body as never), target as Writable);
      if (file !== '-')
        printJson({
          id,
          file,
          size: artifact.size,
          sha256: artifact.sha256,
          contentType: artifact.contentType,
        });
      return ExitCode.Succeeded;
    }),
  );

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    // --help and --version end with code 0; a usage error has already been printed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Succeeded : ExitCode.Usage;
    if (err instanceof LongrunProblemError) {
      printError(err.problem);
      return ExitCode.Refused;
    }
    printError(err instanceof Error ? err.message : String(err));
    return ExitCode.Error;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
