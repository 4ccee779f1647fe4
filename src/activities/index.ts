import { createWebhookActivities, type WebhookDeps } from '../webhooks/delivery.js';
import type { RunnerDeps } from './runner-deps.js';
import { createRunners } from './runners.js';

/** Everything the worker's activities depend on (tests pass fakes). */
export interface ActivityDeps extends RunnerDeps {
  webhooks: WebhookDeps;
}

/** Build all activities from their dependencies: the runners and webhook delivery. */
export function createActivities(deps: ActivityDeps) {
  return { ...createRunners(deps), ...createWebhookActivities(deps.webhooks) };
}

export type { RunnerActivities } from './runners.js';
export type { RunnerDeps } from './runner-deps.js';
