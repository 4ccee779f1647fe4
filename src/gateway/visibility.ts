/**
 * Listing processes through Temporal visibility: the query for a filter, the rows it returns as
 * process summaries, and the opaque cursors that page through them.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
// A CommonJS module: take its namespace from the default export under ESM.
import proto from '@temporalio/proto';
import { isTerminal, processStatuses, type ProcessStatus } from '../contract/process-status.js';
import {
  kindSearchAttribute,
  statusSearchAttribute,
  tenantSearchAttribute,
} from '../shared/search-attributes.js';
import { keywordAttribute } from './payloads.js';
import { InvalidCursorError, type ListFilter, type ProcessPage, type ProcessSummary } from './port.js';
import { orchestratorWorkflowType } from './start-options.js';
import { timestampToIso } from './timestamps.js';

const { WorkflowExecutionStatus } = proto.temporal.api.enums.v1;
type WorkflowExecutionInfo = proto.temporal.api.workflow.v1.IWorkflowExecutionInfo;

/** One page of the tenant's processes matching `filter`. Rejects with {@link InvalidCursorError}. */
export async function listProcesses(
  client: Client,
  tenant: string,
  filter: ListFilter,
  uiUrl: (id: string, runId?: string) => string,
): Promise<ProcessPage> {
  // The tenant is part of the query, so a cursor (bound to its query) is bound to the tenant too.
  const query = visibilityQuery(tenant, filter);
  // The raw call, not client.workflow.list(): only it hands out page tokens, which cursors carry.
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query,
    pageSize: filter.limit,
    nextPageToken: filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, query),
  });
  const items = response.executions.map((info) => summaryOf(info, uiUrl));
  const token = response.nextPageToken;
  return token && token.length > 0 ? { items, nextCursor: encodeCursor(token, query) } : { items };
}

export function toStatus(value: string | undefined): ProcessStatus | undefined {
  return processStatuses.find((s) => s === value);
}

/**
 * How many of the tenant's processes are open (queued or running), as visibility counts them
 * now: it may lag the latest starts and ends by up to a second or so.
 */
export async function countOpenProcesses(client: Client, tenant: string): Promise<number> {
  const query = `${tenantClause(tenant)} AND ExecutionStatus = 'Running'`;
  return (await client.workflow.count(query)).count;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function tenantClause(tenant: string): string {
  return `WorkflowType = ${quote(orchestratorWorkflowType)} AND ${tenantSearchAttribute.name} = ${quote(tenant)}`;
}

/** Visibility query for a list filter. Every value was validated by the route's schema; quotes are escaped anyway. */
function visibilityQuery(tenant: string, filter: ListFilter): string {
  const clauses = [tenantClause(tenant)];
  if (filter.kind) clauses.push(`${kindSearchAttribute.name} = ${quote(filter.kind)}`);
  if (filter.status) clauses.push(statusClause(filter.status, quote));
  if (filter.createdAfter) clauses.push(`StartTime > ${quote(filter.createdAfter)}`);
  if (filter.createdBefore) clauses.push(`StartTime < ${quote(filter.createdBefore)}`);
  return clauses.join(' AND ');
}

/**
 * A process's status is its `LongrunStatus` search attribute while the workflow can keep it
 * current; a workflow terminated or timed out from outside cannot, so its execution status decides.
 */
function statusClause(status: ProcessStatus, quote: (value: string) => string): string {
  const attribute = `${statusSearchAttribute.name} = ${quote(status)}`;
  switch (status) {
    case 'queued':
    case 'running':
      return `(${attribute} AND ExecutionStatus = 'Running')`;
    case 'failed':
      return `(${attribute} OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;
    case 'canceled':
      return `(${attribute} OR ExecutionStatus = 'Canceled')`;
    case 'succeeded':
      return attribute;
  }
}

function summaryOf(
  info: WorkflowExecutionInfo,
  uiUrl: (id: string, runId?: string) => string,
): ProcessSummary {
  const fields = info.searchAttributes?.indexedFields;
  const id = info.execution?.workflowId ?? '';
  const recorded = toStatus(keywordAttribute(fields, statusSearchAttribute.name));
  const closed = info.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  let status: ProcessStatus = recorded ?? 'queued';
  if (closed && !isTerminal(status))
    status =
      info.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED ? 'canceled' : 'failed';
  const completedAt = timestampToIso(info.closeTime);
  return {
    id,
    kind: keywordAttribute(fields, kindSearchAttribute.name) ?? 'unknown',
    status,
    createdAt: timestampToIso(info.startTime) ?? new Date(0).toISOString(),
    ...(closed && completedAt ? { completedAt } : {}),
    uiUrl: uiUrl(id, info.execution?.runId ?? undefined),
  };
}

/** Cursors are opaque to clients and bound to the query they were issued for. */
function encodeCursor(token: Uint8Array, query: string): string {
  return Buffer.from(
    JSON.stringify({ q: queryTag(query), t: Buffer.from(token).toString('base64') }),
  ).toString('base64url');
}

function decodeCursor(cursor: string, query: string): Uint8Array {
  try {
    const { q, t } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      q?: unknown;
      t?: unknown;
    };
    if (q === queryTag(query) && typeof t === 'string' && t.length > 0) return Buffer.from(t, 'base64');
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursorError('The cursor is not valid for this query; start again without it.');
}

function queryTag(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}
