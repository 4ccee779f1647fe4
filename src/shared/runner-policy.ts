import type { Duration, RetryPolicy } from '@temporalio/common';

/**
 * How the orchestrator runs one kind's runner: timeouts and retry policy, in the SDK's own types.
 * Declared by each kind's definition, and passed to the workflow in its input, so it is recorded
 * in history (visible in the Web UI) and a running workflow keeps the policy it started with.
 */
export interface RunnerPolicy {
  /** Upper bound for one attempt. */
  startToCloseTimeout: Duration;
  /** A runner that does not heartbeat for this long is considered dead and retried elsewhere. */
  heartbeatTimeout: Duration;
  retry: RetryPolicy;
}
