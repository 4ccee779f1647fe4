/**
 * P1 start throughput: `POST /processes` through the API (sent by wrk) against
 * `client.workflow.start` of the same workflow with the same arguments, side by side in
 * alternating rounds, to a task queue no worker polls: only the start path is measured.
 */
import { randomUUID } from 'node:crypto';
import { cpuSeconds, ownCpuSecondsWithReapedChildren } from '../../scripts/launcher.js';
import { processOrchestrator } from '../../src/workflows/index.js';
import { rawStartOptions } from '../support/delay-kind.js';
import { callsUntil } from '../support/closed-loop.js';
import { httpPostLoad, type Burst } from '../support/http-load.js';
import { defineMeasure, valueOf } from '../support/measure.js';
import { check, grouped, round } from '../support/stats.js';
import { pause, reasonOf } from '../support/waits.js';

/** CPU milliseconds per start, by process: where a start's cost goes. */
export interface StartCost {
  server: number;
  api: number;
  /** The load: wrk (or autocannon) for the API side; this script's Temporal client for the raw side. */
  loadGenerator: number;
}

export interface StartThroughput {
  apiRate: number;
  rawRate: number;
  ratio: number;
  /** Starts counted on each side. */
  apiStarts: number;
  rawStarts: number;
  concurrency: number;
  /** What sent the HTTP load, with its version. */
  loadTool: string;
  apiFailures: number;
  /** Raw starts that failed (counted, not timed, as wrk counts the API's failures). */
  rawFailures: number;
  apiCost: StartCost;
  rawCost: StartCost;
  /** API rate ÷ raw rate of each round. */
  roundRatios: number[];
}

const totalCost = (c: StartCost) => round(c.server + c.api + c.loadGenerator);
const costText = (c: StartCost) => `dev server ${c.server}, API ${c.api}, load generator ${c.loadGenerator}`;

export const startThroughput = defineMeasure<{ starts: StartThroughput }>({
  id: 'P1',
  title: 'start throughput',
  steps: {
    starts: {
      on: 'memory',
      label: 'start throughput',
      timeLimitSeconds: (s) =>
        120 + 4 * (2 * s.startWarmupSeconds + 2 * s.startRounds * (s.startSeconds + 1)),
      async run({ stack, sizes, dir, signal, log, defer }) {
        // A queue no worker polls: only the start path is measured, not the work it causes.
        const idleQueue = `bench-idle-${randomUUID()}`;
        const api = await stack.startApi(idleQueue);
        defer(() => api.stop());
        const { startSeconds, startRounds, startWarmupSeconds, concurrency } = sizes;
        const body = { kind: 'delay', input: { seconds: 1, steps: 1 } };
        const load = httpPostLoad(`${api.url}/processes`, JSON.stringify(body), concurrency, dir);
        log(`load generator: ${load.tool}`);
        const viaClient = async (seconds: number): Promise<Burst> => {
          // As with wrk, only the starts done by the deadline count.
          const { ok, failures } = await callsUntil(
            concurrency,
            performance.now() + seconds * 1000,
            () => stack.client.workflow.start(processOrchestrator, rawStartOptions(idleQueue, body.input)),
            (err, failures) => {
              signal.throwIfAborted();
              if (failures === 1) log(`raw start failed: ${reasonOf(err)}`);
              return pause(100, signal);
            },
          );
          return { ok, failures, seconds };
        };
        const cpu = () => ({
          server: cpuSeconds(Object.values(stack.server.parts)),
          api: cpuSeconds([api.pid]),
          loadGenerator: ownCpuSecondsWithReapedChildren(), // this script, and wrk once it has exited
        });
        // Starts still in flight when a burst ends finish before the next one; a pause keeps them out of it.
        const settle = () => pause(500, signal);
        // Warm-up: the JIT of both processes, connections, the server's caches.
        await load.run(startWarmupSeconds, signal);
        await settle();
        await viaClient(startWarmupSeconds);
        await settle();
        const zero = () => ({ ok: 0, failures: 0, seconds: 0, server: 0, api: 0, loadGenerator: 0 });
        const totals = { api: zero(), raw: zero() };
        const roundRatios: number[] = [];
        for (let r = 0; r < startRounds; r++) {
          const rates = { api: 0, raw: 0 };
          // Alternate which side goes first, so neither always meets a larger database.
          for (const side of r % 2 === 0 ? (['raw', 'api'] as const) : (['api', 'raw'] as const)) {
            const before = cpu();
            const run = side === 'api' ? await load.run(startSeconds, signal) : await viaClient(startSeconds);
            await settle();
            const after = cpu();
            const total = totals[side];
            total.ok += run.ok;
            total.failures += run.failures;
            total.seconds += run.seconds;
            total.server += after.server - before.server;
            total.api += after.api - before.api;
            total.loadGenerator += after.loadGenerator - before.loadGenerator;
            rates[side] = run.ok / run.seconds;
            log(`${side}: ${run.ok} starts in ${run.seconds.toFixed(2)} s`);
          }
          roundRatios.push(round(rates.api / rates.raw));
        }
        const cost = (t: ReturnType<typeof zero>): StartCost => ({
          server: round((t.server * 1000) / t.ok),
          api: round((t.api * 1000) / t.ok),
          loadGenerator: round((t.loadGenerator * 1000) / t.ok),
        });
        const apiRate = totals.api.ok / totals.api.seconds;
        const rawRate = totals.raw.ok / totals.raw.seconds;
        return {
          apiRate: round(apiRate, 1),
          rawRate: round(rawRate, 1),
          // Three digits: a ratio of 0.897 must not print as 0.9 and pass.
          ratio: round(apiRate / rawRate, 3),
          apiStarts: totals.api.ok,
          rawStarts: totals.raw.ok,
          concurrency,
          loadTool: load.tool,
          apiFailures: totals.api.failures,
          rawFailures: totals.raw.failures,
          apiCost: cost(totals.api),
          rawCost: cost(totals.raw),
          roundRatios,
        };
      },
    },
  },
  rows: ({ starts }) => {
    const p1 = valueOf(starts)!;
    return [
      [
        'P1',
        'Start throughput',
        `${grouped(p1.apiRate)} starts/s (\`POST /processes\`, ${p1.loadTool})`,
        `${grouped(p1.rawRate)} starts/s (\`client.workflow.start\`)`,
        `${p1.ratio}`,
        `≥ 0.9 ${check(p1.ratio >= 0.9)}`,
      ],
    ];
  },
  method: ({ starts }) => {
    const p1 = valueOf(starts)!;
    return {
      ...p1,
      wrk: p1.loadTool.startsWith('wrk'),
      roundRatios: p1.roundRatios.join(', '),
      apiStarts: grouped(p1.apiStarts),
      rawStarts: grouped(p1.rawStarts),
      apiCost: costText(p1.apiCost),
      rawCost: costText(p1.rawCost),
      apiTotalCost: totalCost(p1.apiCost),
      rawTotalCost: totalCost(p1.rawCost),
      costRatio: round(totalCost(p1.rawCost) / totalCost(p1.apiCost)),
    };
  },
});
