/**
 * A test-only workflow interceptor: a workflow whose id starts with `hold-` waits before starting
 * any child until it receives the `testRelease` signal. The orchestrator starts its webhook
 * deliveries child after its terminal update, so this holds it open in exactly the state where
 * late signals and cancel requests must not change a terminal state.
 */
import {
  condition,
  defineSignal,
  setHandler,
  workflowInfo,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export const releaseSignal = defineSignal('testRelease');

export const interceptors: WorkflowInterceptorsFactory = () => {
  const hold = workflowInfo().workflowId.startsWith('hold-');
  let released = !hold;
  return {
    inbound: [
      {
        execute(input, next) {
          if (hold) setHandler(releaseSignal, () => void (released = true));
          return next(input);
        },
      },
    ],
    outbound: [
      {
        async startChildWorkflowExecution(input, next) {
          await condition(() => released);
          return next(input);
        },
      },
    ],
  };
};
