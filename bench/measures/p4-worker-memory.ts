/** P4 worker memory: a fresh worker's RSS before and after the open processes of P2 started. */
import { defineMeasure, valueOf } from '../support/measure.js';
import { openProcesses, type OpenProcesses } from '../support/open-processes.js';
import { grouped, mib } from '../support/stats.js';

export type WorkerMemory = Omit<OpenProcesses, 'ids'> & { perThousandKiB: number };

export const workerMemory = defineMeasure<{ memory: WorkerMemory }>({
  id: 'P4',
  title: 'worker memory',
  steps: {
    memory: {
      on: 'memory',
      label: 'worker memory',
      uses: [openProcesses],
      // Opening the processes is timed here, when P4 is the first to use them.
      timeLimitSeconds: (s) => 420 + s.open * 0.3,
      async run({ use }) {
        const { ids: _ids, ...opened } = await use(openProcesses);
        return {
          ...opened,
          perThousandKiB: Math.round(((opened.rssAfterKiB - opened.rssBeforeKiB) * 1000) / opened.open),
        };
      },
    },
  },
  rows: ({ memory }) => {
    const p4 = valueOf(memory)!;
    return [
      [
        'P4',
        'Worker memory',
        `+${mib(p4.perThousandKiB)} RSS per 1,000 open processes`,
        `idle worker ${mib(p4.rssBeforeKiB)}; ${mib(p4.rssAfterKiB)} with ${grouped(p4.open)} open` +
          (p4.loaded < p4.open ? ` (only ${grouped(p4.loaded)} loaded in the worker)` : ''),
        '—',
        '—',
      ],
    ];
  },
  method: ({ memory }) => {
    const p4 = valueOf(memory)!;
    return { open: grouped(p4.open), notLoaded: p4.loaded < p4.open, loaded: grouped(p4.loaded) };
  },
});
