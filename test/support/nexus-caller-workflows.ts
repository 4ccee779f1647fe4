/**
 * Caller workflows of the Nexus tests and history recordings: they run in another namespace than longrun and
 * call its kinds through the `longrun` endpoint with Temporal's own Nexus client, as a user's
 * workflow would (see the README's example).
 */
import { createNexusServiceClient, NexusOperationCancellationType } from '@temporalio/workflow';
import type { KindName } from '../../src/kinds/index.js';
import { longrunNexusService } from '../../src/contract/nexus-service.js';

export interface CallKindInput {
  endpoint: string;
  kind: KindName;
  input: unknown;
}

/** One link of a failure's cause chain, as the caller sees it. */
export interface FailureLink {
  name: string;
  message: string;
  /** An `ApplicationFailure`'s type, a handler error's type (e.g. `BAD_REQUEST`). */
  type?: string;
  retryable?: boolean;
}

export type CallOutcome = { ok: true; output: unknown } | { ok: false; failure: FailureLink[] };

/**
 * Run one kind to its end: the operation's output, or how it failed (a canceled caller waits
 * until the process has stopped its runner, then reports the cancellation).
 */
export async function callKind({ endpoint, kind, input }: CallKindInput): Promise<CallOutcome> {
  const longrun = createNexusServiceClient({ endpoint, service: longrunNexusService });
  try {
    const output: unknown = await longrun.executeOperation(kind, input as never, {
      scheduleToCloseTimeout: '5m',
      cancellationType: NexusOperationCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    return { ok: true, output };
  } catch (err) {
    return { ok: false, failure: causeChain(err) };
  }
}

function causeChain(err: unknown): FailureLink[] {
  const chain: FailureLink[] = [];
  for (let at: unknown = err; at instanceof Error && chain.length < 10; at = at.cause) {
    const { type, retryable } = at as { type?: unknown; retryable?: unknown };
    chain.push({
      name: at.name,
      message: at.message,
      ...(typeof type === 'string' && { type }),
      ...(typeof retryable === 'boolean' && { retryable }),
    });
  }
  return chain;
}
