/**
 * The Temporal server's persistence operations, counted from its own metrics
 * (`persistence_requests` by operation). Unlike CPU or latency, a count does not drift with the
 * machine's load: what a process costs the server's store, and what a running process writes
 * while it has no news, compare exactly between runs and machines.
 */
export type OpCounts = Record<string, number>;

/** Operations that change the store (the rest read it). */
const writing = /^(Create|Update|Delete|Complete|Append|Put|Set|Range|Conflict)/;

/**
 * The server's persistence operations so far, by operation name, summed over its metrics
 * endpoints (a cluster has one per Temporal process); empty when they cannot be read.
 */
export async function serverOps(metricsUrls: readonly string[]): Promise<OpCounts> {
  const counts: OpCounts = {};
  for (const url of metricsUrls) {
    try {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
      for (const line of text.split('\n')) {
        const match = /^persistence_requests\{([^}]*)\} (\S+)$/.exec(line);
        const operation = match && /operation="([^"]+)"/.exec(match[1]!)?.[1];
        if (operation) counts[operation] = (counts[operation] ?? 0) + Number(match[2]);
      }
    } catch {
      // A measure without these counts still reports its own figures.
    }
  }
  return counts;
}

/** What happened between two readings. */
export function opsBetween(before: OpCounts, after: OpCounts): OpCounts {
  const delta: OpCounts = {};
  for (const [operation, count] of Object.entries(after)) {
    const d = count - (before[operation] ?? 0);
    if (d > 0) delta[operation] = d;
  }
  return delta;
}

export function addOps(a: OpCounts, b: OpCounts): OpCounts {
  const sum: OpCounts = { ...a };
  for (const [operation, count] of Object.entries(b)) sum[operation] = (sum[operation] ?? 0) + count;
  return sum;
}

/**
 * All operations, the writing ones, and the writes of workflow state (creates and mutable-state
 * updates: what each start, task, heartbeat and completion costs). The server also reads and writes
 * on timers of its own (cluster metadata, namespaces, queue acks), so only the last one is a cost
 * per process; the others make sense as rates.
 */
export function opTotals(ops: OpCounts): { all: number; writes: number; workflowWrites: number } {
  let all = 0;
  let writes = 0;
  for (const [operation, count] of Object.entries(ops)) {
    all += count;
    if (writing.test(operation)) writes += count;
  }
  const workflowWrites = (ops.CreateWorkflowExecution ?? 0) + (ops.UpdateWorkflowExecution ?? 0);
  return { all, writes, workflowWrites };
}
