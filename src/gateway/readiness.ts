/**
 * Whether Temporal can serve longrun, for `/readyz` (of the API and of the worker): the server
 * answers, the namespace exists, and the namespace has longrun's search attributes with their
 * types (a start would fail on a missing one, and lists would find nothing). Each condition is one
 * {@link ReadinessCheck}; a failing one says what is missing, by name.
 */
import type { Client } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
// A CommonJS module: take its namespace from the default export under ESM.
import proto from '@temporalio/proto';
import { longrunSearchAttributes } from '../shared/search-attributes.js';
import { grpcCode, grpcCodeOf } from './grpc-codes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;

/** One condition of readiness, as `/readyz` shows it. */
export interface ReadinessCheck {
  /** What was checked: `temporal`, `namespace`, `searchAttributes`, `artifactStore`, `worker`, `draining`. */
  name: string;
  ok: boolean;
  /** What was found, or what is wrong and how to fix it. */
  detail?: string;
  /** The search attributes the namespace lacks (or has with another type). */
  missing?: string[];
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The index type each search attribute type is registered as. */
const indexedTypeOf: Record<SearchAttributeType, number> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Check the client's Temporal server and namespace; never throws, each call bounded by `timeoutMs`. */
export async function checkTemporal(client: Client, timeoutMs = 2000): Promise<ReadinessCheck[]> {
  const namespace = client.options.namespace;
  const within = <T>(call: () => Promise<T>): Promise<T> => client.withDeadline(Date.now() + timeoutMs, call);

  try {
    await within(() => client.workflowService.describeNamespace({ namespace }));
  } catch (err) {
    const code = grpcCodeOf(err);
    if (code === grpcCode.notFound) {
      return [
        { name: 'temporal', ok: true },
        { name: 'namespace', ok: false, detail: `namespace "${namespace}" does not exist` },
      ];
    }
    const unreachable =
      code === undefined || code === grpcCode.unavailable || code === grpcCode.deadlineExceeded;
    return [
      {
        name: 'temporal',
        ok: false,
        detail: `${unreachable ? 'unreachable' : 'refused'}: ${messageOf(err)}`,
      },
    ];
  }
  const checks: ReadinessCheck[] = [
    { name: 'temporal', ok: true },
    { name: 'namespace', ok: true, detail: namespace },
  ];

  let registered: Record<string, number>;
  try {
    const answer = await within(() => client.connection.operatorService.listSearchAttributes({ namespace }));
    registered = answer.customAttributes ?? {};
  } catch (err) {
    const code = grpcCodeOf(err);
    if (code === grpcCode.permissionDenied || code === grpcCode.unimplemented) {
      // Some hosted servers do not let a namespace's key list its search attributes: say so, do not block.
      checks.push({ name: 'searchAttributes', ok: true, detail: `not verified: ${messageOf(err)}` });
    } else {
      checks.push({ name: 'searchAttributes', ok: false, detail: `could not list them: ${messageOf(err)}` });
    }
    return checks;
  }
  const missing = longrunSearchAttributes
    .filter((key) => registered[key.name] !== indexedTypeOf[key.type])
    .map((key) => key.name);
  checks.push(
    missing.length === 0
      ? { name: 'searchAttributes', ok: true }
      : {
          name: 'searchAttributes',
          ok: false,
          missing,
          detail:
            `namespace "${namespace}" lacks ${missing.join(', ')} (as Keyword): ` +
            `temporal operator search-attribute create --namespace ${namespace} ` +
            missing.map((name) => `--name ${name} --type Keyword`).join(' '),
        },
  );
  return checks;
}
