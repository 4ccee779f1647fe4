/**
 * What the gateway counts, as an interface the process that builds the gateway implements (the
 * API with Prometheus: src/observability/api-metrics.ts). The gateway never imports a metrics
 * library; without metrics it is given {@link noGatewayMetrics}.
 */

/**
 * How a status read was answered (see read-state.ts for the order they are tried in):
 * - `cache`: this API instance's cache of ended processes;
 * - `describe`: describe alone (a running process from its runner activity, or a closed one that
 *   recorded no state: terminated, timed out);
 * - `history`: a running process with no runner activity pending, from its history;
 * - `close-event`: a closed process's result or failure (the close event);
 * - `memo`: a canceled process's final state, kept in its memo;
 * - `wait`: a waiting read (`Prefer: wait`) whose long poll saw the process end.
 */
export type StatusReadSource = 'cache' | 'describe' | 'history' | 'close-event' | 'memo' | 'wait';

export interface GatewayMetrics {
  /** A new process was started (not an idempotent repeat). */
  processStarted(kind: string): void;
  /** A status read was answered from `source`. */
  statusRead(source: StatusReadSource): void;
  /** An event stream began following a process; call the returned function when it stops. */
  streamOpened(): () => void;
  /** A read began waiting for a process to end; call the returned function when it stops. */
  waitStarted(): () => void;
}

const nothing = (): void => {};

/** Counts nothing. */
export const noGatewayMetrics: GatewayMetrics = {
  processStarted: nothing,
  statusRead: nothing,
  streamOpened: () => nothing,
  waitStarted: () => nothing,
};
