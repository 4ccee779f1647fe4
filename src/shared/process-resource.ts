/**
 * The process resource clients see (GET /processes/{id}, webhook payloads, event streams),
 * built from the orchestrator's state in one place. Pure: workflows use it too, which is why the
 * contract's types are imported as types only.
 */
import type { DeliveryState, ProcessLinks, ProcessResource } from '../contract/resources.js';
import type { ProcessState } from './process-state.js';

/** The state's public fields (not its run id or version), its deliveries and links. */
export function toProcessResource(
  state: ProcessState,
  links: ProcessLinks,
  deliveries?: DeliveryState[],
): ProcessResource {
  return {
    id: state.id,
    kind: state.kind,
    status: state.status,
    progress: state.progress,
    attempt: state.attempt,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    ...(state.completedAt !== undefined && { completedAt: state.completedAt }),
    ...(state.cancelRequested && { cancelRequested: true }),
    ...(state.retry !== undefined && { retry: state.retry }),
    ...(state.status === 'succeeded' && { result: state.result }),
    ...(state.error !== undefined && { error: state.error }),
    ...(state.callback !== undefined && { callback: state.callback }),
    ...(deliveries !== undefined && { deliveries }),
    links,
  };
}

/** Deep link to a workflow run in the Temporal Web UI. */
export function uiLink(uiBaseUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const segments = ['namespaces', namespace, 'workflows', workflowId, ...(runId ? [runId, 'history'] : [])];
  const base = uiBaseUrl.endsWith('/') ? uiBaseUrl : `${uiBaseUrl}/`;
  return `${base}${segments.map(encodeURIComponent).join('/')}`;
}
