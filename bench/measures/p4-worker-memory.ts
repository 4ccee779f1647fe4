/**
 * P4 worker memory: a fresh worker's RSS before and after the open processes of P2 started, in
 * memory and on the durable server.
 */
import {
  defineMeasure,
  valueOf,
  whyNot,
  type Outcome,
  type Row,
  type StepContext,
} from '../support/measure.js';
import { openProcesses, type OpenProcesses } from '../support/open-processes.js';
import type { Sizes } from '../support/sizes.js';
import { grouped, mib } from '../support/stats.js';

export type WorkerMemory = Omit<OpenProcesses, 'ids'> & { perThousandKiB: number };

async function measureMemory({ use }: StepContext): Promise<WorkerMemory> {
  const { ids: _ids, ...opened } = await use(openProcesses);
  return {
    ...opened,
    perThousandKiB: Math.round(((opened.rssAfterKiB - opened.rssBeforeKiB) * 1000) / opened.open),
  };
}

// Opening the processes is timed here, when P4 is the first to use them.
const limit = (s: Sizes) => 420 + s.open * 0.3;

function row(id: string, where: string, outcome: Outcome<WorkerMemory> | undefined): Row {
  const p4 = outcome && valueOf(outcome);
  if (!p4) return [id, `Worker memory, ${where}`, whyNot(outcome), '—', '—', '—'];
  return [
    id,
    `Worker memory, ${where}`,
    `+${mib(p4.perThousandKiB)} RSS per 1,000 open processes`,
    `idle worker ${mib(p4.rssBeforeKiB)}; ${mib(p4.rssAfterKiB)} with ${grouped(p4.open)} open` +
      (p4.loaded < p4.open ? ` (only ${grouped(p4.loaded)} loaded in the worker)` : ''),
    '—',
    '—',
  ];
}

export const workerMemory = defineMeasure<{ memory: WorkerMemory; durable: WorkerMemory }>({
  id: 'P4',
  title: 'worker memory',
  steps: {
    memory: {
      on: 'memory',
      label: 'worker memory (in memory)',
      uses: [openProcesses],
      timeLimitSeconds: limit,
      run: measureMemory,
    },
    durable: {
      on: 'durable',
      label: 'worker memory (durable)',
      uses: [openProcesses],
      timeLimitSeconds: limit,
      run: measureMemory,
    },
  },
  rows: ({ memory, durable }) => [row('P4', 'in memory', memory), row('', 'durable', durable)],
  method: ({ memory, durable }) => {
    const p4 = valueOf(memory) ?? valueOf(durable)!;
    const notLoaded = (o: Outcome<WorkerMemory> | undefined, where: string) => {
      const v = o && valueOf(o);
      return v && v.loaded < v.open
        ? ` ${where}, only ${grouped(v.loaded)} had run their first workflow task by then.`
        : '';
    };
    return { open: grouped(p4.open), notes: notLoaded(memory, 'In memory') + notLoaded(durable, 'Durable') };
  },
});
