/** CPU and memory readings from /proc (Linux), for the benchmarks and the reliability suite. */
import { readdirSync, readFileSync } from 'node:fs';

const clockTicks = 100; // USER_HZ: 100 on every Linux port that Node supports

/** A process and all its descendants, from /proc (PostgreSQL forks a backend per connection). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = parents.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    parents.set(stat.ppid, siblings);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    tree.push(current);
    queue.push(...(parents.get(current) ?? []));
  }
  return tree;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, and cutime 16 and cstime 17:
  // what its children that have ended and been reaped used (PostgreSQL's short-lived workers).
  return {
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
  };
}

/** User + system CPU seconds used so far by these processes and their descendants, live or reaped. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) for (const member of processTree(pid)) ticks += readStat(member)?.cpuTicks ?? 0;
  return ticks / clockTicks;
}

/**
 * CPU seconds used so far by this process and every child it has reaped (their times land in our
 * cutime/cstime when they exit): what a whole run cost, once every child has stopped.
 */
export function ownCpuSecondsWithReapedChildren(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14 to 17.
  return fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / clockTicks;
}

/**
 * CPU seconds the whole machine has spent busy (all cores; idle and iowait excluded) and stolen by
 * the hypervisor (other virtual machines), from /proc/stat.
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: (user + nice + system + irq + softirq) / clockTicks, steal: steal / clockTicks };
}

/** Resident set size (VmRSS) of a process, in KiB. */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
