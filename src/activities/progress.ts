import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Progress } from '../contract/resources.js';
import type { RunnerHeartbeat } from '../shared/heartbeat.js';
import { clampPercent } from '../shared/process-state.js';
import {
  runnerProgressSignal,
  runnerStartedSignal,
  type RunnerProgress,
  type RunnerStarted,
} from '../shared/signals.js';

/** Where runners send their "started" and progress reports: the process's own workflow. */
export interface ProgressSink {
  started(workflowId: string, report: RunnerStarted): Promise<void>;
  progress(workflowId: string, report: RunnerProgress): Promise<void>;
}

/** The production sink: signals the runner's own workflow through a Temporal client. */
export function createSignalProgressSink(client: Client): ProgressSink {
  return {
    started: (workflowId, report) =>
      client.workflow.getHandle(workflowId).signal(runnerStartedSignal, report),
    progress: (workflowId, report) =>
      client.workflow.getHandle(workflowId).signal(runnerProgressSignal, report),
  };
}

export interface ProgressReporterOptions {
  /** No two progress signals closer than this (default 1 s: progress reaches readers within about a second). */
  minIntervalMs: number;
}

/**
 * Reports a runner's progress two ways: every report is heartbeated (the SDK throttles what
 * reaches the server; the checkpoint rides along), and the workflow is signalled, rate-limited
 * so that its history stays bounded however often the runner reports:
 * - at most one signal per `minIntervalMs`, and only when something changed;
 * - a rise of the whole percent is sent at that pace (at most ~100 per attempt);
 * - a change of message alone waits at least 1% of the attempt's elapsed time, so its count
 *   grows only logarithmically with the attempt's length.
 * The latest report is always delivered: a report that arrives too early is sent when allowed.
 */
export class ProgressReporter<Checkpoint> {
  readonly attempt: number;
  /** The checkpoint recorded by the previous attempt, if this attempt is a retry. */
  readonly resumeFrom: Checkpoint | undefined;

  private readonly workflowId: string;
  private readonly startedAt = Date.now();
  private latest: RunnerHeartbeat<Checkpoint>;
  private sent: Progress | undefined;
  private sentAt = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly sink: ProgressSink,
    private readonly options: ProgressReporterOptions,
  ) {
    const { info } = Context.current();
    this.attempt = info.attempt;
    if (!info.workflowExecution)
      throw new Error('a runner reports progress to its workflow: run it from one');
    this.workflowId = info.workflowExecution.workflowId;
    const previous = info.heartbeatDetails as RunnerHeartbeat<Checkpoint> | undefined;
    this.resumeFrom = previous?.checkpoint;
    this.latest = {
      progress: previous?.progress ?? { percent: 0, message: 'started' },
      checkpoint: previous?.checkpoint,
    };
  }

  /**
   * Create the reporter for the current activity and tell the workflow the attempt has started.
   * @param describeResume how to name the checkpoint in the "resuming after …" message.
   */
  static async start<Checkpoint>(
    sink: ProgressSink,
    options: ProgressReporterOptions,
    describeResume: (checkpoint: Checkpoint) => string,
  ): Promise<ProgressReporter<Checkpoint>> {
    const reporter = new ProgressReporter<Checkpoint>(sink, options);
    const resumedFrom = reporter.resumeFrom === undefined ? undefined : describeResume(reporter.resumeFrom);
    await reporter.deliver(() =>
      sink.started(reporter.workflowId, {
        attempt: reporter.attempt,
        ...(resumedFrom ? { resumedFrom } : {}),
      }),
    );
    Context.current().heartbeat(reporter.latest);
    return reporter;
  }

  /** Record progress (and optionally a new checkpoint). Cheap: call it as often as you like. */
  report(progress: Progress, checkpoint?: Checkpoint): void {
    this.latest = {
      progress: { percent: clampPercent(progress.percent), message: progress.message },
      checkpoint: checkpoint ?? this.latest.checkpoint,
    };
    Context.current().heartbeat(this.latest);
    this.schedule();
  }

  /** Heartbeat without news, to stay alive and to learn of cancellation while waiting. */
  heartbeat(): void {
    Context.current().heartbeat(this.latest);
  }

  /** Deliver the latest report now if it was held back; call before returning. */
  async flush(): Promise<void> {
    // A send that finishes may start the next one: wait until nothing is in flight.
    do {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.inFlight;
    } while (this.inFlight);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.changed()) await this.send();
  }

  private changed(): boolean {
    const { percent, message } = this.latest.progress;
    return this.sent === undefined || this.sent.percent !== percent || this.sent.message !== message;
  }

  /** When the latest report may be signalled, or undefined if there is nothing new to send. */
  private allowedAt(): number | undefined {
    if (!this.changed()) return undefined;
    const earliest = this.sentAt + this.options.minIntervalMs;
    const percentRose = Math.floor(this.latest.progress.percent) > Math.floor(this.sent?.percent ?? -1);
    if (percentRose) return earliest;
    const elapsed = Date.now() - this.startedAt;
    return Math.max(earliest, this.sentAt + elapsed / 100);
  }

  private schedule(): void {
    if (this.inFlight || this.timer) return;
    const at = this.allowedAt();
    if (at === undefined) return;
    const wait = at - Date.now();
    if (wait <= 0) {
      void this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    const progress = this.latest.progress;
    this.sent = progress;
    this.sentAt = Date.now();
    this.inFlight = this.deliver(() =>
      this.sink.progress(this.workflowId, { attempt: this.attempt, ...progress }),
    );
    await this.inFlight;
    this.inFlight = undefined;
    this.schedule();
  }

  /** A lost progress signal must never fail the work: log it and go on. */
  private async deliver(signal: () => Promise<void>): Promise<void> {
    try {
      await signal();
    } catch (err) {
      Context.current().log.warn('progress signal failed', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

export type { RunnerHeartbeat } from '../shared/heartbeat.js';
