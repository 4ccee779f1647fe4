/** Statistics and number formatting shared by every measure. */

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentiles of milliseconds. */
export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, p50: at(50), p99: at(99) };
}

/** The lower median (of an even count, the smaller middle value). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

/** Two sides' latencies and the ratios longrun ÷ baseline at p50 and p99. */
export interface LatencyRatio {
  api: Percentiles;
  raw: Percentiles;
  p50Ratio: number;
  p99Ratio: number;
}

export function latencyRatio(api: number[], raw: number[]): LatencyRatio {
  const a = percentiles(api);
  const r = percentiles(raw);
  return { api: a, raw: r, p50Ratio: round(a.p50 / r.p50), p99Ratio: round(a.p99 / r.p99) };
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
export const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
export const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
export const grouped = (value: number): string => value.toLocaleString('en-US');
/** Seconds as a policy states them: `5 s`, `0.5 s`. */
export const seconds = (milliseconds: number): string => `${round(milliseconds / 1000, 3)} s`;
/** A target met or missed, for the table's last column. */
export const check = (ok: boolean): string => (ok ? '✅' : '❌');
