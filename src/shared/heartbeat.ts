import type { Progress } from '../contract/resources.js';

/**
 * What a runner heartbeats: its latest progress and the checkpoint a retry resumes from. Written
 * by the runners, read back by their next attempt, and by the API from describe (the server
 * keeps the last one for the running attempt), which is how progress reaches readers without a
 * worker and without a workflow task.
 */
export interface RunnerHeartbeat<Checkpoint> {
  progress: Progress;
  checkpoint?: Checkpoint;
  /** When this progress was reported (ISO 8601); unchanged by keep-alive heartbeats. */
  at?: string;
  /** The attempt that reported it (a new attempt shows its predecessor's until it reports). */
  attempt?: number;
}
