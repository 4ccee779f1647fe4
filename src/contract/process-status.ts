/**
 * The statuses a process moves through. A leaf of the wire contract: pure data, imported by the
 * API, the workflows (no Node APIs here) and clients alike.
 */
export const processStatuses = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type ProcessStatus = (typeof processStatuses)[number];

export const terminalStatuses: ReadonlySet<ProcessStatus> = new Set(['succeeded', 'failed', 'canceled']);

/** Whether a process in this status has ended for good (its state never changes again). */
export function isTerminal(status: ProcessStatus): boolean {
  return terminalStatuses.has(status);
}
