import { isTerminal } from '../contract/process-status.js';
import type { ProcessSnapshot } from './port.js';

/**
 * One watch of a process shared by all of its followers on this API instance: it reads the
 * process (describe: from the server, never waiting on a worker) every interval while anyone
 * follows, and tells the followers when it changed, until the process ends.
 */
export class SharedWatch {
  private readonly listeners = new Set<(snapshot: ProcessSnapshot | undefined) => void>();
  private last: ProcessSnapshot | undefined;
  private running = false;

  constructor(
    private readonly id: string,
    private readonly read: (id: string) => Promise<ProcessSnapshot | undefined>,
    private readonly intervalMs: number,
    private readonly onIdle: (watch: SharedWatch) => void,
  ) {}

  subscribe(listener: (snapshot: ProcessSnapshot | undefined) => void): () => void {
    this.listeners.add(listener);
    if (this.last) listener(this.last);
    if (!this.running) void this.loop();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.onIdle(this);
    };
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.listeners.size > 0) {
        let current: ProcessSnapshot | undefined;
        try {
          current = await this.read(this.id);
        } catch {
          current = this.last; // Temporal briefly unreachable: keep following
        }
        if (!current) {
          for (const listener of [...this.listeners]) listener(undefined);
          break;
        }
        if (!this.last || changed(this.last, current)) {
          // A change the server stamped no later (a cancel request) still gets a newer id.
          if (this.last && current.revision <= this.last.revision) {
            current = { ...current, revision: this.last.revision + 1 };
          }
          this.last = current;
          for (const listener of [...this.listeners]) listener(current);
        }
        if (isTerminal(current.state.status)) break;
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    } finally {
      this.running = false;
      this.onIdle(this);
    }
  }
}

function changed(before: ProcessSnapshot, after: ProcessSnapshot): boolean {
  const [was, is] = [before.state, after.state];
  return (
    after.revision > before.revision ||
    is.status !== was.status ||
    is.attempt !== was.attempt ||
    is.progress.percent !== was.progress.percent ||
    is.progress.message !== was.progress.message ||
    is.cancelRequested !== was.cancelRequested ||
    is.retry?.attempt !== was.retry?.attempt
  );
}
