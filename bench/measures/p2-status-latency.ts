/**
 * P2 status latency: `GET /processes/{id}` against the least the API does for it, raw
 * `handle.describe()`, over the open processes (shared with P4), one at a time, the sides in
 * turn, every process in turn; in memory and on the durable server. `handle.query('status')`,
 * which asks a worker and which the API no longer uses, is timed beside them for reference.
 */
import { statusQuery } from '../../src/shared/queries.js';
import {
  defineMeasure,
  valueOf,
  whyNot,
  type Outcome,
  type Row,
  type StepContext,
} from '../support/measure.js';
import { openProcesses } from '../support/open-processes.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, ms, percentiles, round, type Percentiles } from '../support/stats.js';
import { reasonOf, within } from '../support/waits.js';

export interface StatusLatency {
  open: number;
  running: number;
  /** `GET /processes/{id}`. */
  api: Percentiles;
  /** Raw `handle.describe()`: the baseline. Absent from results written before it was. */
  describe?: Percentiles;
  /** Raw `handle.query('status')` (the baseline before issue 11). */
  raw: Percentiles;
  /** GET ÷ describe (before: ÷ query). */
  p50Ratio: number;
  p99Ratio: number;
  /** GETs that did not answer 202 (timed all the same: what the caller waited). */
  unexpected: number;
  describeFailures?: number;
  /** Raw queries that failed, e.g. timed out waiting for the worker (timed all the same). */
  rawFailures: number;
  /** Samples meant to be taken on each side (fewer when the sampling time ran out). */
  planned: number;
}

/** One sample waits this long at most; a slower answer is counted as a failure. */
const sampleTimeoutMs = 10_000;
/**
 * Warm-up and sampling stop after this long (here they take a tenth of it): on a machine too busy
 * to answer, the samples taken by then are the figure, and the row says how many.
 */
const samplingSeconds = (statusSamples: number) => 60 + statusSamples * 0.4;

/** A timed call; a failure is counted and timed all the same (it is what its caller waited). */
async function timed(
  call: () => Promise<unknown>,
  signal: AbortSignal,
  onFailure: (err: unknown) => void,
): Promise<number> {
  const t0 = performance.now();
  try {
    await call();
  } catch (err) {
    signal.throwIfAborted();
    onFailure(err);
  }
  return performance.now() - t0;
}

async function sample({ stack, sizes, signal, log, use }: StepContext): Promise<StatusLatency> {
  const { ids, open, running } = await use(openProcesses);
  const failures = { api: 0, describe: 0, query: 0 };
  const note = (side: keyof typeof failures, what: string) => (err: unknown) => {
    if (++failures[side] === 1) log(`${what} failed: ${reasonOf(err)}`);
  };
  const bounded = <T>(call: () => Promise<T>) =>
    stack.client.connection.withDeadline(Date.now() + sampleTimeoutMs, call);
  const sides = {
    api: (id: string) =>
      timed(
        async () => {
          const response = await fetch(`${stack.apiUrl}/processes/${id}`, {
            signal: within(signal, sampleTimeoutMs),
          });
          await response.arrayBuffer();
          if (response.status !== 202) throw new Error(`GET answered ${response.status}`);
        },
        signal,
        note('api', 'GET'),
      ),
    describe: (id: string) =>
      timed(
        () => bounded(() => stack.client.workflow.getHandle(id).describe()),
        signal,
        note('describe', 'describe'),
      ),
    query: (id: string) =>
      timed(
        () => bounded(() => stack.client.workflow.getHandle(id).query(statusQuery)),
        signal,
        note('query', 'query'),
      ),
  };
  const names = ['api', 'describe', 'query'] as const;
  const samples = { api: [] as number[], describe: [] as number[], query: [] as number[] };
  const stopAt = performance.now() + samplingSeconds(sizes.statusSamples) * 1000;
  for (let i = 0; i < 20 && performance.now() < stopAt; i++)
    await Promise.all(names.map((name) => sides[name](ids[i % open]!)));
  failures.api = failures.describe = failures.query = 0;
  for (let i = 0; i < sizes.statusSamples && performance.now() < stopAt; i++) {
    const id = ids[i % open]!;
    // Each side goes first, second and last in turn: drift is shared equally.
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      samples[name].push(await sides[name](id));
    }
  }
  if (failures.api > 0) log(`${failures.api} GETs did not answer 202`);
  if (failures.query > 0) log(`${failures.query} queries failed`);
  if (samples.api.length < sizes.statusSamples)
    log(
      `${samples.api.length} of ${sizes.statusSamples} samples within ${samplingSeconds(sizes.statusSamples)} s`,
    );
  const api = percentiles(samples.api);
  const describe = percentiles(samples.describe);
  return {
    open,
    running,
    api,
    describe,
    raw: percentiles(samples.query),
    p50Ratio: round(api.p50 / describe.p50),
    p99Ratio: round(api.p99 / describe.p99),
    unexpected: failures.api,
    describeFailures: failures.describe,
    rawFailures: failures.query,
    planned: sizes.statusSamples,
  };
}

// The processes are opened here if P4 did not run first.
const limit = (s: Sizes) => 420 + s.open * 0.3 + samplingSeconds(s.statusSamples) + 120;

function row(id: string, where: string, outcome: Outcome<StatusLatency> | undefined): Row {
  const p2 = outcome && valueOf(outcome);
  if (!p2) return [id, `Status latency, ${where}`, whyNot(outcome), '—', '—', '—'];
  const openNote =
    p2.running < p2.open
      ? `${grouped(p2.open)} open (${grouped(p2.running)} runners running, the rest still queued)`
      : `${grouped(p2.open)} running`;
  const failed = (n: number | undefined, what: string) => (n ? `; ${grouped(n)} ${what}` : '');
  const cut = p2.api.n < p2.planned ? ` (only ${grouped(p2.api.n)} samples in the time allowed)` : '';
  const query = `\`handle.query('status')\`, for reference: p50 ${ms(p2.raw.p50)}, p99 ${ms(p2.raw.p99)}${failed(p2.rawFailures, 'failed')}`;
  // Results from before describe was the baseline compared with the query.
  const base = p2.describe;
  const baseFailures = base ? (p2.describeFailures ?? 0) : p2.rawFailures;
  const comparable = baseFailures <= (base ?? p2.raw).n / 10;
  return [
    id,
    `Status latency, ${openNote}, ${where}${cut}`,
    `p50 ${ms(p2.api.p50)}, p99 ${ms(p2.api.p99)} (\`GET /processes/{id}\`${failed(p2.unexpected, 'not 202')})`,
    base
      ? `p50 ${ms(base.p50)}, p99 ${ms(base.p99)} (\`handle.describe()\`${failed(p2.describeFailures, 'failed')}); ${query}`
      : query,
    comparable
      ? `p50 ${p2.p50Ratio}, p99 ${p2.p99Ratio}`
      : `not comparable: ${grouped(baseFailures)} of ${grouped((base ?? p2.raw).n)} baseline calls failed`,
    comparable ? `p99 ≤ 1.5 ${check(p2.p99Ratio <= 1.5)}` : 'p99 ≤ 1.5 —',
  ];
}

export const statusLatency = defineMeasure<{ samples: StatusLatency; durable: StatusLatency }>({
  id: 'P2',
  title: 'status latency',
  steps: {
    samples: {
      on: 'memory',
      label: 'status latency (in memory)',
      uses: [openProcesses],
      timeLimitSeconds: limit,
      run: sample,
    },
    durable: {
      on: 'durable',
      label: 'status latency (durable)',
      uses: [openProcesses],
      timeLimitSeconds: limit,
      run: sample,
    },
  },
  rows: ({ samples, durable }) => [row('P2', 'in memory', samples), row('', 'durable', durable)],
  method: ({ samples, durable }, { sizes }) => {
    const p2 = valueOf(samples) ?? valueOf(durable)!;
    const failures = (o: Outcome<StatusLatency> | undefined, where: string) => {
      const v = valueOf(o);
      if (!v) return '';
      const parts = [
        v.unexpected > 0 ? `${v.unexpected} GETs did not answer 202` : '',
        v.describeFailures ? `${v.describeFailures} describes failed` : '',
        v.rawFailures > 0 ? `${v.rawFailures} queries failed` : '',
      ].filter(Boolean);
      return parts.length > 0 ? ` **${where}: ${parts.join(', ')}.**` : '';
    };
    const queued = (o: Outcome<StatusLatency> | undefined, where: string) => {
      const v = valueOf(o);
      return v && v.running < v.open
        ? ` ${where}, ${grouped(v.running)} had a runner running when the samples began.`
        : '';
    };
    const cut = (o: Outcome<StatusLatency> | undefined, where: string) => {
      const v = valueOf(o);
      return v && v.api.n < v.planned
        ? ` ${where}: ${grouped(v.api.n)} samples of ${grouped(v.planned)} (the sampling time ran out).`
        : '';
    };
    return {
      open: grouped(p2.open),
      samples: grouped(sizes.statusSamples),
      notes:
        queued(samples, 'In memory') +
        queued(durable, 'Durable') +
        cut(samples, 'In memory') +
        cut(durable, 'Durable') +
        failures(samples, 'In memory') +
        failures(durable, 'Durable'),
    };
  },
});
