import type { Logger } from '@temporalio/common';

/** For MockActivityEnvironment: keeps the SDK's expected "Activity failed" warnings out of test output. */
export const silentLogger: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
