/**
 * Every measure of `npm run bench`, in the order they run (the table sorts them by id). Adding a
 * measure: write its file next to these (one `defineMeasure`), add its section to
 * bench/report/methods.md, and add it here.
 */
import type { AnyMeasure } from '../support/measure.js';
import { startThroughput } from './p1-start-throughput.js';
import { statusLatency } from './p2-status-latency.js';
import { endToEnd } from './p3-end-to-end.js';
import { workerMemory } from './p4-worker-memory.js';
import { recovery } from './p5-recovery.js';
import { efficiencyMeasure } from './p6-efficiency.js';

export const measures: AnyMeasure[] = [
  startThroughput,
  endToEnd,
  // P6 before P4: its in-memory part meets the server as P3 left it, not after 1,000 more processes.
  efficiencyMeasure,
  // P4 opens the processes P2 then reads; they are terminated before P5.
  workerMemory,
  statusLatency,
  recovery,
];
