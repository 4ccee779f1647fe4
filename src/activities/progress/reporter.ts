import { Context } from '@temporalio/activity';
import type { Progress } from '../../contract/resources.js';
import type { RunnerHeartbeat } from '../../shared/heartbeat.js';
import { clampPercent } from '../../shared/process-state.js';
import type { ReportingDeps } from '../runner-deps.js';

/** Without a heartbeat timeout, keep alive as often as Temporal's own default throttle would. */
const defaultKeepAliveMs = 24_000;

/** The latest progress each running attempt reported, for its outcome (see `withAttemptOutcome`). */
const latestByAttempt = new WeakMap<Context, Progress>();

/** The progress the current attempt last reported, if it reported any. */
export function reportedProgress(context: Context = Context.current()): Progress | undefined {
  return latestByAttempt.get(context);
}

/**
 * Reports a runner attempt's progress and checkpoints through heartbeats only: the server keeps
 * the last one, where the API reads it (describe) and the next attempt resumes from it. So news
 * costs one server write, and no workflow task, however often the runner reports:
 * - news (a new progress or checkpoint) is heartbeated at most once per `progressIntervalMs`, the
 *   latest winning; an attempt's first news waits that long too, so a runner that finishes sooner
 *   never heartbeats at all;
 * - with no news, a keep-alive resends the last details every 4/5 of the kind's heartbeat timeout
 *   (Temporal's own default pace): one write per interval, and the cancellation it brings back;
 * - an attempt that lasts past `progressIntervalMs` tells its workflow once that it runs (the
 *   workflow records the status for list filters, webhooks and the Web UI); one that ends sooner
 *   never does, and its workflow learns the attempt from the outcome.
 * When the worker shuts down (the attempt's cancellation says `workerShutdown`), the latest
 * details are heartbeated at once, and so is every report after that: the next attempt, on
 * another worker, resumes from the last checkpoint this one recorded, not from an older one.
 * Call {@link close} when the attempt ends, however it ends.
 */
export class ProgressReporter<Checkpoint> {
  readonly attempt: number;
  /** The checkpoint recorded by the previous attempt, if this attempt is a retry. */
  readonly resumeFrom: Checkpoint | undefined;

  private readonly context = Context.current();
  private readonly startedAt = Date.now();
  private readonly keepAliveMs: number;
  private latest: RunnerHeartbeat<Checkpoint>;
  private sentAt = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private newsTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The worker is shutting down: nothing is held back any more. */
  private shuttingDown = false;
  private readonly onCancelled = (): void => {
    if (!this.context.cancellationDetails?.workerShutdown || this.closed) return;
    this.shuttingDown = true;
    this.send();
  };

  private constructor(private readonly deps: ReportingDeps) {
    const { info } = this.context;
    this.attempt = info.attempt;
    const previous = info.heartbeatDetails as RunnerHeartbeat<Checkpoint> | undefined;
    this.resumeFrom = previous?.checkpoint;
    this.latest = previous ?? { progress: { percent: 0, message: 'started' } };
    if (previous) latestByAttempt.set(this.context, previous.progress);
    this.keepAliveMs = info.heartbeatTimeoutMs
      ? Math.max(100, info.heartbeatTimeoutMs * 0.8)
      : defaultKeepAliveMs;
    this.context.cancellationSignal.addEventListener('abort', this.onCancelled, { once: true });
  }

  /** Whether the worker is shutting down (the attempt should record its checkpoint and stop). */
  get workerShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Start reporting for the current activity attempt.
   * @param describeResume how to name the checkpoint in the workflow's "resuming after …" message.
   */
  static start<Checkpoint>(
    deps: ReportingDeps,
    describeResume: (checkpoint: Checkpoint) => string,
  ): ProgressReporter<Checkpoint> {
    const reporter = new ProgressReporter<Checkpoint>(deps);
    reporter.scheduleKeepAlive();
    reporter.later(deps.progressIntervalMs, () => {
      const resumedFrom = reporter.resumeFrom === undefined ? undefined : describeResume(reporter.resumeFrom);
      const workflowId = reporter.context.info.workflowExecution?.workflowId;
      if (!workflowId) return;
      reporter.deps.progress
        .started(workflowId, { attempt: reporter.attempt, ...(resumedFrom ? { resumedFrom } : {}) })
        // A lost notice must never fail the work: the workflow still learns the attempt from the outcome.
        .catch((err: unknown) => {
          reporter.context.log.warn('could not tell the workflow the runner started', { error: String(err) });
        });
    });
    return reporter;
  }

  /** Record progress (and optionally a new checkpoint). Cheap: call it as often as you like. */
  report(progress: Progress, checkpoint?: Checkpoint): void {
    this.latest = {
      progress: { percent: clampPercent(progress.percent), message: progress.message },
      ...((checkpoint ?? this.latest.checkpoint) !== undefined && {
        checkpoint: checkpoint ?? this.latest.checkpoint,
      }),
      at: new Date().toISOString(),
      attempt: this.attempt,
    };
    latestByAttempt.set(this.context, this.latest.progress);
    if (this.closed) return;
    if (this.shuttingDown) return this.send();
    if (this.newsTimer) return;
    const due = Math.max(this.sentAt, this.startedAt) + this.deps.progressIntervalMs;
    const wait = due - Date.now();
    if (wait <= 0) this.send();
    else this.newsTimer = this.later(wait, () => this.send());
  }

  /** The attempt has ended: stop every timer (news not yet sent is superseded by the outcome). */
  close(): void {
    this.closed = true;
    this.context.cancellationSignal.removeEventListener('abort', this.onCancelled);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private send(): void {
    if (this.closed) return;
    if (this.newsTimer) {
      clearTimeout(this.newsTimer);
      this.timers.delete(this.newsTimer);
    }
    this.newsTimer = undefined;
    this.sentAt = Date.now();
    this.context.heartbeat(this.latest);
    this.scheduleKeepAlive();
  }

  private scheduleKeepAlive(): void {
    if (this.keepAliveTimer) {
      clearTimeout(this.keepAliveTimer);
      this.timers.delete(this.keepAliveTimer);
    }
    this.keepAliveTimer = this.later(this.keepAliveMs, () => {
      this.keepAliveTimer = undefined;
      this.send();
    });
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}
