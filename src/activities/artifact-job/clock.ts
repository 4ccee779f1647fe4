import { Context } from '@temporalio/activity';

/** How often a runner makes its output durable and heartbeats a checkpoint. */
export const defaultCheckpointEveryMs = 500;
/** …and at least every this many bytes, so that one fsync never outlasts the heartbeat timeout. */
const checkpointEveryBytes = 64 * 1024 * 1024;

/** When the next checkpoint is due: after some time or some bytes, whichever comes first. */
export class CheckpointClock {
  private at = Date.now();
  private bytes = 0;

  constructor(private readonly everyMs: number) {}

  /** Count `bytes` just written; true when a checkpoint is due (and the clock restarts). */
  due(bytes: number): boolean {
    this.bytes += bytes;
    if (Date.now() - this.at < this.everyMs && this.bytes < checkpointEveryBytes) return false;
    this.at = Date.now();
    this.bytes = 0;
    return true;
  }
}

/** Testing aid (`RUNNER_THROTTLE_BYTES_PER_SEC`): holds a runner to a byte rate, cancellably. */
export class Pacer {
  private readonly startedAt = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number | undefined) {}

  async pace(bytes: number): Promise<void> {
    if (!this.bytesPerSecond) return;
    this.bytes += bytes;
    const wait = this.startedAt + (this.bytes / this.bytesPerSecond) * 1000 - Date.now();
    if (wait > 0) await Context.current().sleep(wait);
  }
}
