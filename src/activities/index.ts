import { runnerKinds } from './registry.js';
import type { RunnerDeps } from './runner-kind.js';
import { createWebhookActivities, type WebhookDeps } from './webhooks.js';

/** The worker's runners: one per kind, registered under the kind's name. */
export type RunnerActivities = {
  [K in keyof typeof runnerKinds]: ReturnType<(typeof runnerKinds)[K]['create']>;
};

/** Everything the worker's activities depend on (tests pass fakes). */
export interface ActivityDeps extends RunnerDeps {
  webhooks: WebhookDeps;
}

/** Build all activities from their dependencies: the runners and webhook delivery. */
export function createActivities(deps: ActivityDeps) {
  const runners = Object.fromEntries(
    Object.entries(runnerKinds).map(([name, kind]) => [name, kind.create(deps)]),
  ) as RunnerActivities;
  return { ...runners, ...createWebhookActivities(deps.webhooks) };
}

export type { RunnerDeps } from './runner-kind.js';
