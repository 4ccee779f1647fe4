/**
 * Readiness (`/readyz` of the API and of the worker): every check a process needs to serve, run
 * at most once a second however often load balancers and probes ask (the checks write to the
 * artifact store and call Temporal), and answered as one JSON body.
 */
import type { ArtifactStore } from '../artifacts/store.js';
import type { ReadinessCheck } from '../gateway/readiness.js';

export type { ReadinessCheck };

/** What `/readyz` answers: `ready` only when every check is ok. */
export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, Omit<ReadinessCheck, 'name'>>;
}

/** How long one round of checks is reused: probes may ask many times a second. */
const reuseMs = 1000;

/**
 * Runs `checks` (dependencies: Temporal, the artifact store) at most once per second, one round
 * at a time, and adds `now()`'s checks (the process's own state, e.g. draining), which are
 * never reused.
 */
export class Readiness {
  private last: { at: number; checks: Promise<ReadinessCheck[]> } | undefined;

  constructor(
    private readonly dependencies: () => Promise<ReadinessCheck[]>,
    private readonly now: () => ReadinessCheck[] = () => [],
  ) {}

  async report(): Promise<ReadinessReport> {
    if (!this.last || Date.now() - this.last.at > reuseMs) {
      this.last = { at: Date.now(), checks: this.dependencies() };
    }
    const all = [...this.now(), ...(await this.last.checks)];
    return {
      status: all.every((check) => check.ok) ? 'ready' : 'not ready',
      checks: Object.fromEntries(all.map(({ name, ...rest }) => [name, rest])),
    };
  }
}

/** The artifact store is writable: store a tiny artifact and remove it again. */
export async function checkArtifactStore(store: ArtifactStore): Promise<ReadinessCheck> {
  try {
    const probe = await store.create([Buffer.from('longrun readiness probe\n')], {
      contentType: 'text/plain',
      maxBytes: 1024,
    });
    await store.remove(probe.id);
    return { name: 'artifactStore', ok: true };
  } catch (err) {
    return { name: 'artifactStore', ok: false, detail: `not writable: ${(err as Error).message}` };
  }
}
