import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { kinds } from '../kinds/index.js';
import { kindSearchAttribute, statusSearchAttribute } from '../shared/search-attributes.js';
import type { processOrchestrator } from '../workflows/index.js';
import { processIdForKey, requestFingerprint, workflowIdOf } from './ids.js';
import type { StartCommand } from './port.js';

/**
 * The orchestrator's workflow type. The API starts it by name, so that it never loads workflow
 * code; a unit test keeps the name and the function in step.
 */
export const orchestratorWorkflowType = 'processOrchestrator';

/** Where processes start: the task queue, and the Web UI base for links in webhook payloads. */
export interface StartSettings {
  taskQueue: string;
  uiBaseUrl: string;
}

/**
 * How a process's workflow is started: its id, arguments, id policies, Web UI metadata and search
 * attributes. The one start path: the API's gateway uses it, and the benchmarks' raw baseline
 * starts exactly the same workflow with it.
 */
export function processStart(command: StartCommand, settings: StartSettings) {
  const { kind, input, idempotencyKey, callback } = command;
  const id = idempotencyKey === undefined ? randomUUID() : processIdForKey(idempotencyKey);
  // Only a keyed start can meet an earlier request to compare with; others skip the hashing.
  const fingerprint = idempotencyKey === undefined ? undefined : requestFingerprint(command);
  const createdAt = new Date().toISOString();
  const definition = kinds[kind];
  const summary = definition.summarize(input as never);
  const startOptions = {
    taskQueue: settings.taskQueue,
    workflowId: workflowIdOf(id),
    args: [
      {
        id,
        kind,
        input,
        policy: definition.policy,
        summary,
        createdAt,
        ...(callback && { callback, links: { self: command.selfUrl(id), uiBaseUrl: settings.uiBaseUrl } }),
        ...(command.returns === 'result' && { returns: 'result' as const }),
      },
    ] as Parameters<typeof processOrchestrator>,
    // With a key, concurrent duplicates attach to the running workflow, and a closed one is
    // never started again while Temporal retains it: one key, one process.
    workflowIdConflictPolicy:
      idempotencyKey === undefined ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // The fingerprint answers repeats of a keyed start; the callback tells readers to look for
    // deliveries (describe shows the memo, never the workflow's input).
    ...((fingerprint ?? callback) && {
      memo: { ...(fingerprint && { requestFingerprint: fingerprint }), ...(callback && { callback }) },
    }),
    staticSummary: `${kind} · ${summary}`,
    staticDetails: `Process \`${id}\`\n\nInput:\n\`\`\`json\n${JSON.stringify(input, null, 2)}\n\`\`\``,
    typedSearchAttributes: [
      { key: kindSearchAttribute, value: kind },
      { key: statusSearchAttribute, value: 'queued' },
    ],
  };
  return { id, createdAt, fingerprint, startOptions };
}
