/**
 * The worker's side of the Nexus contract (src/contract/nexus-service.ts): each kind as a
 * workflow-run operation. A start validates the input with the kind's schema and check (as
 * `POST /processes` does), then starts the orchestrator through the API's one start path
 * (`processStart`), so the process id is the workflow id, and the process is the same one that
 * `GET /processes/{id}`, the list and the Web UI show. The caller gets the process's result,
 * its failure (with the process's error type) or its cancellation; a cancel from the caller
 * cancels the workflow, which stops the runner first.
 */
import { ApplicationFailure } from '@temporalio/common';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import {
  HandlerError,
  serviceHandler,
  type OperationInput,
  type OperationOutput,
  type ServiceHandler,
  type StartOperationContext,
} from 'nexus-rpc';
import { FailureType } from '../contract/failure-types.js';
import { longrunNexusService, type LongrunNexusService } from '../contract/nexus-service.js';
import { kinds, type KindName } from '../kinds/index.js';
import type { InputProblem, KindDefinition, KindServices } from '../kinds/kind-definition.js';
import { orchestratorWorkflowType, processStart, type StartSettings } from '../gateway/start-options.js';
import type { processOrchestrator } from '../workflows/index.js';

export interface NexusOperationsOptions {
  /** The orchestrator's task queue (the endpoint's target), and the Web UI base. */
  settings: StartSettings;
  /** What the kinds' start-time checks consult (the artifact store). */
  services: KindServices;
}

/**
 * The idempotency key of a Nexus start: the server retries a start with the same request id, and
 * the same key means the same process id, so a retry attaches to the process it already started.
 */
export const nexusIdempotencyKey = (requestId: string): string => `nexus-request:${requestId}`;

/** The orchestrator as a Nexus start sees it: returning the process's result. */
type ReturningResult<Output> = (...args: Parameters<typeof processOrchestrator>) => Promise<Output>;

/** The `longrun` service handler, for the worker's `nexusServices`. */
export function createNexusOperations({
  settings,
  services,
}: NexusOperationsOptions): ServiceHandler<LongrunNexusService['operations']> {
  type Operations = LongrunNexusService['operations'];
  function operationFor<K extends KindName>(kind: K) {
    const definition: KindDefinition = kinds[kind];
    return new WorkflowRunOperationHandler<OperationInput<Operations[K]>, OperationOutput<Operations[K]>>(
      async (ctx: StartOperationContext, raw) => {
        const input = await validInput(kind, definition, raw, services);
        const { startOptions } = processStart(
          {
            kind,
            input,
            idempotencyKey: nexusIdempotencyKey(ctx.requestId),
            // No callback (the caller is told by Nexus), so no webhook links either.
            selfUrl: (id) => `/processes/${id}`,
            returns: 'result',
          },
          settings,
        );
        // Started with `returns: 'result'`, the orchestrator returns the kind's result: the output.
        return startWorkflow<ReturningResult<OperationOutput<Operations[K]>>>(
          ctx,
          orchestratorWorkflowType,
          startOptions,
        );
      },
    );
  }
  return serviceHandler(longrunNexusService, {
    delay: operationFor('delay'),
    encrypt: operationFor('encrypt'),
    decrypt: operationFor('decrypt'),
  });
}

/**
 * The kind's schema and start-time check, as at `POST /processes`: unusable input is a
 * non-retryable `BAD_REQUEST` handler error whose cause is an `ApplicationFailure` of type
 * `InvalidInput`, with the problems (JSON Pointers into the input) as its details.
 */
async function validInput(
  kind: KindName,
  definition: KindDefinition,
  raw: unknown,
  services: KindServices,
): Promise<unknown> {
  const parsed = definition.input.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput(
      kind,
      'does not match the schema',
      parsed.error.issues.map((issue) => ({ pointer: toPointer(issue.path), detail: issue.message })),
    );
  }
  const problems = await definition.check?.(parsed.data, services);
  if (problems?.length) throw invalidInput(kind, 'is well-formed but cannot be used', problems);
  return parsed.data;
}

function invalidInput(kind: KindName, why: string, problems: InputProblem[]): HandlerError {
  const message = `The ${kind} input ${why}: ${problems.map((p) => `${p.pointer || '/'}: ${p.detail}`).join('; ')}`;
  return new HandlerError('BAD_REQUEST', message, {
    retryableOverride: false,
    cause: ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message,
      nonRetryable: true,
      details: [problems],
    }),
  });
}

/** A JSON Pointer (RFC 6901) from a path of keys. */
function toPointer(path: readonly PropertyKey[]): string {
  return path.map((key) => `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
