/**
 * The bench's sizes and switches, read once from the environment. BENCH_QUICK=1 is a small smoke
 * run; every size can be set on its own (BENCH_OPEN=2000 …).
 */
export const quick = process.env.BENCH_QUICK === '1';

function size(name: string, full: number, small: number): number {
  const value = Number(process.env[name] ?? (quick ? small : full));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

export const sizes = {
  /** P1: seconds of starts per measured round, for each side. */
  startSeconds: size('BENCH_START_SECONDS', 3, 1),
  /** P1 rounds (each side once per round, alternating who goes first): other load on the machine spreads over both. */
  startRounds: size('BENCH_START_ROUNDS', 6, 2),
  /**
   * P1: seconds of warm-up for each side before measuring. A fresh API process keeps getting
   * cheaper over its first thousand or so requests (the JIT: 1.8 ms of CPU per start at first,
   * 1.2 ms later), and a deployed API spends its life past that point.
   */
  startWarmupSeconds: size('BENCH_START_WARMUP_SECONDS', 5, 1),
  /** Requests (and raw calls) in flight in P1 and P6, and when opening many processes. */
  concurrency: size('BENCH_CONCURRENCY', 50, 20),
  /** P2/P4: processes kept open. */
  open: size('BENCH_OPEN', 1000, 100),
  statusSamples: size('BENCH_STATUS_SAMPLES', 1000, 100),
  /** P3: sequential samples for each side. */
  e2eSamples: size('BENCH_E2E_SAMPLES', 200, 20),
  recoveryTrials: size('BENCH_RECOVERY_TRIALS', 3, 1),
  /** P6: processes completed. */
  jobs: size('BENCH_JOBS', 1000, 100),
  /** P6: BullMQ jobs completed (more: they take so little CPU that 1,000 would be hard to time). */
  bullmqJobs: size('BENCH_BULLMQ_JOBS', 5000, 500),
  /** S1/S2 (and S5's larger case): processes running at once on the durable server, and BullMQ jobs active. */
  scaleOpen: size('BENCH_SCALE_OPEN', 2000, 100),
  /** S1, S3, S4: readers, requests or calls in flight. */
  scaleConcurrency: size('BENCH_SCALE_CONCURRENCY', 16, 16),
  /** S1: seconds of reading on each side, after a fifth as much warm-up. */
  readSeconds: size('BENCH_READ_SECONDS', 30, 5),
  /** S2: seconds of idle carrying measured. */
  idleSeconds: size('BENCH_IDLE_SECONDS', 60, 10),
  /** S3: seconds of no-op processes per round and side, and the rounds. */
  costSeconds: size('BENCH_COST_SECONDS', 10, 3),
  costRounds: size('BENCH_COST_ROUNDS', 3, 1),
  /** S4: starts per side (in two alternating halves). */
  burst: size('BENCH_BURST', 2000, 200),
  /** S5: processes running beside the followed ones in the small case (the large one is `scaleOpen`). */
  freshnessOpen: size('BENCH_FRESHNESS_OPEN', 100, 20),
  /** S5: processes followed (1-s steps), and for how long. */
  followed: size('BENCH_FOLLOWED', 20, 5),
  freshnessSeconds: size('BENCH_FRESHNESS_SECONDS', 30, 8),
};

export type Sizes = typeof sizes;

export const skipBullmq = process.env.BENCH_SKIP_BULLMQ === '1';

/** No cluster phase (its first start builds the Temporal server from source: ~15 min, once). */
export const skipCluster = process.env.BENCH_SKIP_CLUSTER === '1';

/** Measures to run, by id (`BENCH_ONLY=P1,P5`); all when unset. */
export const onlyMeasures: ReadonlySet<string> | undefined = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((id) => id.trim().toUpperCase()))
  : undefined;

/**
 * Multiplies every measure's time limit (`BENCH_TIME_SCALE=2` on a machine twice as slow). The
 * limits only stop a measure that hangs; they are several times what the measure takes here.
 */
export const timeScale = ((): number => {
  const value = Number(process.env.BENCH_TIME_SCALE ?? 1);
  if (!Number.isFinite(value) || value <= 0) throw new Error('BENCH_TIME_SCALE must be a positive number');
  return value;
})();
