/**
 * Every measure of `npm run bench`, in the order they run (the table sorts them by id). Adding a
 * measure: write its file next to these (one `defineMeasure`), add its section to
 * bench/report/methods.md, and add it here.
 *
 * Steps run stack by stack (in memory, durable, then on no stack), in this order within each; a
 * set of open processes stays open from the first step that uses it to the last. So on the durable
 * server: P6, S3 and S4 with nothing open; P4 and P2 with their 1,000; S5 with its 100, then with
 * the 2,000 that S2 and S1 use next. On the cluster: S3, S4, S6, then S2 and S1 with their 2,000.
 * On no stack, the BullMQ build's steps go S4 (its jobs are added), S2 (they run), S1 (they are read).
 */
import type { AnyMeasure } from '../support/measure.js';
import { startThroughput } from './p1-start-throughput.js';
import { statusLatency } from './p2-status-latency.js';
import { endToEnd } from './p3-end-to-end.js';
import { workerMemory } from './p4-worker-memory.js';
import { recovery } from './p5-recovery.js';
import { efficiencyMeasure } from './p6-efficiency.js';
import { statusUnderLoad } from './s1-status-under-load.js';
import { carryingCost } from './s2-carrying-cost.js';
import { costPerProcess } from './s3-cost-per-process.js';
import { burst } from './s4-burst.js';
import { freshness } from './s5-freshness.js';
import { scalingOut } from './s6-scaling-out.js';

export const measures: AnyMeasure[] = [
  startThroughput,
  endToEnd,
  // P6 before P4: its in-memory part meets the server as P3 left it, not after 1,000 more processes.
  efficiencyMeasure,
  // With nothing open on the durable server: S3's no-op processes and S4's starts.
  costPerProcess,
  burst,
  // On the cluster, after S3 and S4 and before S2 and S1 open their processes: one, then two workers and APIs.
  scalingOut,
  // P4 opens the processes P2 then reads; they are terminated before P5 (and before S5 on durable).
  workerMemory,
  statusLatency,
  recovery,
  // S5 first with 100 open, then with the 2,000 that S2 (idle) and S1 (read) keep using.
  freshness,
  carryingCost,
  statusUnderLoad,
];
