/**
 * The BullMQ build's API: the least a user would write for longrun's contract on BullMQ — Hono on
 * @hono/node-server, `POST /processes` adds a job and answers 202 with a Location, `GET
 * /processes/{id}` answers the job's state and progress as a process resource (202 while it has
 * not ended, as longrun does). The bench's baseline for S1 and S4 (bench/support/bullmq-build.ts).
 *
 * Environment: REDIS_PORT, PORT, QUEUE. Prints `listening on PORT` once it accepts requests.
 */
import { Job, Queue } from 'bullmq';
import { Hono } from 'hono';
import { serveApp } from '../support/serve-app.js';
import { isDelayStart, jobResource, type DelayInput } from './resource.js';

const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) };
const queue = new Queue<DelayInput>(process.env.QUEUE ?? 'delay', { connection });

const problem = (status: 400 | 404, title: string, detail: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

const app = new Hono();

app.post('/processes', async (c) => {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (!isDelayStart(body))
    return problem(400, 'Invalid request', 'Expected { kind: "delay", input: { seconds, steps } }.');
  // The delay kind's retry policy: 5 attempts, exponential from 1 s. Jobs are kept once done, as
  // Temporal keeps each workflow's history.
  const job = await queue.add('delay', body.input, {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
  });
  const self = new URL(`/processes/${job.id}`, c.req.url).toString();
  c.header('Location', self);
  return c.json(jobResource(job, 'waiting', self), 202);
});

app.get('/processes/:id', async (c) => {
  const id = c.req.param('id');
  const job = await Job.fromId<DelayInput>(queue, id);
  if (!job) return problem(404, 'Process not found', `No process has id "${id}".`);
  const state = await job.getState();
  const resource = jobResource(job, state, new URL(`/processes/${id}`, c.req.url).toString());
  return c.json(resource, resource.status === 'succeeded' || resource.status === 'failed' ? 200 : 202);
});

await queue.waitUntilReady();
serveApp(app, () => queue.close());
