import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every longrun workflow carries, so that operators can filter in the
 * Web UI (`LongrunKind = "delay"`) and the API can list through visibility. They must be
 * registered on the namespace before the first start: the dev stack and tests do it for you;
 * on a real cluster see the README.
 */
export const kindSearchAttribute = defineSearchAttributeKey('LongrunKind', SearchAttributeType.KEYWORD);
export const statusSearchAttribute = defineSearchAttributeKey('LongrunStatus', SearchAttributeType.KEYWORD);

/**
 * The tenant a process belongs to, set once at start: the API reads it to keep tenants apart, and
 * operators filter by it (`LongrunTenant = "acme"`).
 */
export const tenantSearchAttribute = defineSearchAttributeKey('LongrunTenant', SearchAttributeType.KEYWORD);

export const longrunSearchAttributes = [kindSearchAttribute, statusSearchAttribute, tenantSearchAttribute];
