/**
 * The floor of S1: the least an HTTP API that reads a process's status from Temporal on every
 * `GET /processes/{id}` does. Hono on @hono/node-server, as the BullMQ build, with no key, log
 * line or metric; one `DescribeWorkflowExecution` of the run it last saw (as longrun pins it: a
 * describe by workflow id alone first reads the current run from the server's store), answered
 * as the runner's raw state: status, attempt and last heartbeat. What longrun's `GET` costs
 * beyond this is its own (authentication, the state it derives, logs and metrics).
 *
 * Environment: TEMPORAL_ADDRESS, PORT. Prints `listening on PORT` once it accepts requests.
 */
import { Connection } from '@temporalio/client';
import { Hono } from 'hono';
import { serveApp } from '../support/serve-app.js';

const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
const namespace = 'default';
const runs = new Map<string, string>();

const app = new Hono();

app.get('/processes/:id', async (c) => {
  const workflowId = c.req.param('id');
  const runId = runs.get(workflowId);
  const { workflowExecutionInfo: info, pendingActivities } =
    await connection.workflowService.describeWorkflowExecution({
      namespace,
      execution: { workflowId, ...(runId && { runId }) },
    });
  if (!runId && info?.execution?.runId) runs.set(workflowId, info.execution.runId);
  const runner = pendingActivities?.[0];
  const heartbeat = runner?.heartbeatDetails?.payloads?.[0]?.data;
  return c.json(
    {
      id: workflowId,
      status: info?.status,
      attempt: runner?.attempt ?? 0,
      heartbeat: heartbeat ? (JSON.parse(Buffer.from(heartbeat).toString()) as unknown) : null,
    },
    202,
  );
});

serveApp(app, () => connection.close());
