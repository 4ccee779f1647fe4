/** CPU time of named processes (and their descendants) over a stretch of a measure, from /proc. */
import { cpuSeconds } from '../../scripts/launcher.js';
import { round } from './stats.js';

/** CPU seconds by process name. */
export type CpuBreakdown = Record<string, number>;

/** Starts counting now; `read()` gives each process's CPU seconds since. */
export function cpuMeter(parts: Record<string, number>): { read(): CpuBreakdown } {
  const before = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, cpuSeconds([pid])]));
  return {
    read: () =>
      Object.fromEntries(
        Object.entries(parts).map(([name, pid]) => [name, round(cpuSeconds([pid]) - before[name]!)]),
      ),
  };
}

/** CPU seconds of each named process while `work()` runs. */
export async function cpuOf(parts: Record<string, number>, work: () => Promise<void>): Promise<CpuBreakdown> {
  const meter = cpuMeter(parts);
  await work();
  return meter.read();
}

/** The sum of a breakdown. */
export const cpuTotal = (breakdown: CpuBreakdown): number =>
  round(Object.values(breakdown).reduce((a, b) => a + b, 0));

/** Two breakdowns added, name by name. */
export function addCpu(a: CpuBreakdown, b: CpuBreakdown): CpuBreakdown {
  const sum: CpuBreakdown = { ...a };
  for (const [name, seconds] of Object.entries(b)) sum[name] = round((sum[name] ?? 0) + seconds);
  return sum;
}

/** "dev server 1.2, API 0.3": a breakdown for the page. */
export const cpuText = (breakdown: CpuBreakdown, digits = 2): string =>
  Object.entries(breakdown)
    .map(([name, seconds]) => `${name} ${round(seconds, digits)}`)
    .join(', ');
