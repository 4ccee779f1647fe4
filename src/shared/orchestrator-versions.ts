/**
 * The orchestrator's versions, named once: `patched()` ids (each keeps the histories recorded
 * before it replaying) and what the versions after them write.
 */

/**
 * Runners report progress by heartbeat, tell the workflow of an attempt only when it lasts, and
 * name their attempt in their outcome; a canceled process keeps its final state in its memo.
 */
export const heartbeatProgressPatch = 'heartbeat-progress';

/**
 * The memo field where a canceled process's final state is kept (its close event has no details),
 * and a Nexus-started one's (its close event has the result alone).
 */
export const finalStateMemo = 'longrunFinalState';

/**
 * Webhook deliveries run one activity per event under the event's id, and keep every event's
 * delivery state in the deliveries workflow's memo (readable without a worker).
 */
export const deliveriesInMemoPatch = 'deliveries-in-memo';

/** The memo field of a deliveries workflow's delivery states. */
export const deliveriesMemo = 'longrunDeliveries';

/**
 * A process started as a Nexus operation returns the process's result (what the completion
 * callback carries to the caller, as the operation's output) instead of its final state, which it
 * keeps in its memo ({@link finalStateMemo}) for the API to read.
 */
export const nexusResultPatch = 'nexus-result';
