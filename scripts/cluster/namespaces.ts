/**
 * The namespaces of a cluster and longrun's search attributes on each, made through the frontend
 * as `temporal operator namespace create` and `temporal operator search-attribute create` do, and
 * only when missing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs, type Duration } from '@temporalio/common';
import proto from '@temporalio/proto';
import { longrunSearchAttributes } from '../../src/shared/search-attributes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;

export interface NamespaceSetup {
  namespace: string;
  created: boolean;
  /** Search attributes added now (empty: all were there). */
  addedSearchAttributes: string[];
}

/** Register each namespace (closed workflows kept for `retention`) and longrun's search attributes on it; wait until they are usable. */
export async function ensureNamespaces(
  address: string,
  namespaces: readonly string[],
  retention: Duration,
  log: (line: string) => void,
): Promise<NamespaceSetup[]> {
  const connection = await Connection.connect({ address });
  try {
    const setups: NamespaceSetup[] = [];
    for (const namespace of namespaces) {
      let created = false;
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } catch (err) {
        if (grpcCode(err) !== 5) throw err; // NOT_FOUND
        log(`namespace: create ${namespace} (retention ${String(retention)})`);
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(retention),
        });
        created = true;
      }
      // A namespace just made reaches the frontend's namespace cache at its next refresh.
      const existing = await retryWhileNotFound(() =>
        connection.operatorService.listSearchAttributes({ namespace }),
      );
      const missing = longrunSearchAttributes.filter(
        (key) => !(key.name in (existing.customAttributes ?? {})),
      );
      if (missing.length > 0) {
        log(
          `namespace: ${namespace}: search attributes ${missing.map((key) => `${key.name} (${key.type})`).join(', ')}`,
        );
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(
            missing.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
          ),
        });
      }
      setups.push({ namespace, created, addedSearchAttributes: missing.map((key) => key.name) });
    }
    await waitUsable(connection, setups);
    return setups;
  } finally {
    await connection.close();
  }
}

/**
 * Every service keeps a cache of namespaces (their search attributes included), refreshed every
 * 2 s (`system.namespaceCacheRefreshInterval`). Wait until the frontend accepts a visibility
 * query on longrun's attributes, then one more refresh for history and matching, whose caches we
 * cannot ask; only after a change.
 */
async function waitUsable(connection: Connection, setups: NamespaceSetup[]): Promise<void> {
  const query = longrunSearchAttributes.map((key) => `${key.name} = 'probe'`).join(' AND ');
  for (const { namespace } of setups) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query });
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`namespace ${namespace} not usable after 60 s`, { cause: err });
        await sleep(500);
      }
    }
  }
  if (setups.some((setup) => setup.created || setup.addedSearchAttributes.length > 0)) await sleep(3000);
}

async function retryWhileNotFound<T>(call: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (grpcCode(err) !== 5 || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number'
    ? err.code
    : undefined;
}
