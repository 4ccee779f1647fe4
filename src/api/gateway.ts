import type { KindName } from '../activities/registry.js';
import type { ProcessState } from '../shared/process-state.js';

/** A process as the API sees it: its state plus where to inspect it in the Temporal Web UI. */
export interface ProcessSnapshot {
  state: ProcessState;
  uiUrl: string;
}

/** A validated, normalized start request. */
export interface StartCommand {
  kind: KindName;
  input: unknown;
}

/**
 * Everything the HTTP layer needs from Temporal. Route handlers depend on this interface only;
 * `temporal-gateway.ts` implements it, tests pass fakes.
 */
export interface ProcessGateway {
  /** Start a new process; resolves once Temporal has accepted it (it is then `queued`). */
  start(command: StartCommand): Promise<ProcessSnapshot>;
  /** The current state, or `undefined` for an unknown id. Never waits long for a worker. */
  get(id: string): Promise<ProcessSnapshot | undefined>;
  /** Whether Temporal answers at all (for /healthz). */
  ready(): Promise<boolean>;
}
