/**
 * The CLI's exit codes: how the process ended (for `start --wait`, `get`, `wait`, `follow`), or
 * why the command did not do its job. Documented in the README ("Client and CLI").
 */
import type { ProcessStatus } from '../contract/process-status.js';

export const ExitCode = {
  /** The process succeeded (or the command did what it was asked: started, cancel requested, listed…). */
  Succeeded: 0,
  /** An error of the CLI's own: the API unreachable, a file that cannot be read or written. */
  Error: 1,
  /** Bad usage: an unknown command or option, input that is not JSON. */
  Usage: 2,
  /** The process failed. */
  Failed: 3,
  /** The process was canceled. */
  Canceled: 4,
  /** The process is still queued or running (after `--wait`, `wait --timeout`, or `get`). */
  StillRunning: 5,
  /** The API refused the request (a problem answer: 400, 404, 409, 422…), printed on stderr. */
  Refused: 6,
} as const;

export function exitCodeOf(status: ProcessStatus): number {
  switch (status) {
    case 'succeeded':
      return ExitCode.Succeeded;
    case 'failed':
      return ExitCode.Failed;
    case 'canceled':
      return ExitCode.Canceled;
    case 'queued':
    case 'running':
      return ExitCode.StillRunning;
  }
}
