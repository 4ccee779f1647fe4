import type { Progress } from '../contract/resources.js';

/**
 * What a runner heartbeats: its latest progress and the checkpoint a retry resumes from. Written
 * by the runners, read back by their next attempt and by the API (from describe).
 */
export interface RunnerHeartbeat<Checkpoint> {
  progress: Progress;
  checkpoint?: Checkpoint;
}
