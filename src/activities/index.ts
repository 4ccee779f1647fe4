import { runnerKinds } from './registry.js';
import type { RunnerDeps } from './runner-kind.js';

/** The worker's activities: one runner per kind, registered under the kind's name. */
export type RunnerActivities = {
  [K in keyof typeof runnerKinds]: ReturnType<(typeof runnerKinds)[K]['create']>;
};

/** Build all activities from their dependencies (tests pass fakes). */
export function createActivities(deps: RunnerDeps): RunnerActivities {
  return Object.fromEntries(
    Object.entries(runnerKinds).map(([name, kind]) => [name, kind.create(deps)]),
  ) as RunnerActivities;
}

export type { RunnerDeps } from './runner-kind.js';
