/** A duration as Temporal accepts it: milliseconds, or a string such as '5s', '75m'. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/**
 * How the orchestrator runs one kind's runner: timeouts and retry policy. Declared by each kind
 * next to its runner, and passed to the workflow in its input, so it is recorded in history
 * (visible in the Web UI) and a running workflow keeps the policy it started with.
 */
export interface RunnerPolicy {
  /** Upper bound for one attempt. */
  startToCloseTimeout: Duration;
  /** A runner that does not heartbeat for this long is considered dead and retried elsewhere. */
  heartbeatTimeout: Duration;
  retry: {
    initialInterval: Duration;
    backoffCoefficient: number;
    maximumInterval: Duration;
    maximumAttempts: number;
    nonRetryableErrorTypes: string[];
  };
}
