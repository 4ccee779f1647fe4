/**
 * P2 status latency: `GET /processes/{id}` against `handle.query('status')` over the open
 * processes (shared with P4), one at a time, alternating sides, every process in turn.
 */
import { statusQuery } from '../../src/shared/queries.js';
import { benchAuthorization } from '../support/auth.js';
import { defineMeasure, valueOf } from '../support/measure.js';
import { openProcesses } from '../support/open-processes.js';
import { check, grouped, latencyRatio, ms, type LatencyRatio } from '../support/stats.js';
import { reasonOf, within } from '../support/waits.js';

export type StatusLatency = LatencyRatio & {
  open: number;
  running: number;
  /** GETs that did not answer 202 (timed all the same: what the caller waited). */
  unexpected: number;
  /** Raw queries that failed, e.g. timed out waiting for the worker (timed all the same). */
  rawFailures: number;
  /** Samples meant to be taken on each side (fewer when the sampling time ran out). */
  planned: number;
};

/** One sample waits this long at most; a slower answer is counted as a failure. */
const sampleTimeoutMs = 10_000;
/**
 * Warm-up and sampling stop after this long (here they take a tenth of it): on a machine too busy
 * to answer, the samples taken by then are the figure, and the row says how many.
 */
const samplingSeconds = (statusSamples: number) => 60 + statusSamples * 0.3;

export const statusLatency = defineMeasure<{ samples: StatusLatency }>({
  id: 'P2',
  title: 'status latency',
  steps: {
    samples: {
      on: 'memory',
      label: 'status latency',
      uses: [openProcesses],
      // The processes are opened here if P4 did not run first.
      timeLimitSeconds: (s) => 420 + s.open * 0.3 + samplingSeconds(s.statusSamples) + 120,
      async run({ stack, sizes, signal, log, use }) {
        const { ids, open, running } = await use(openProcesses);
        const api: number[] = [];
        const raw: number[] = [];
        let unexpected = 0;
        let rawFailures = 0;
        const viaApi = async (id: string) => {
          const t0 = performance.now();
          try {
            const response = await fetch(`${stack.apiUrl}/processes/${id}`, {
              headers: { authorization: benchAuthorization() },
              signal: within(signal, sampleTimeoutMs),
            });
            await response.arrayBuffer();
            if (response.status !== 202) unexpected++;
          } catch (err) {
            signal.throwIfAborted();
            if (++unexpected === 1) log(`GET failed: ${reasonOf(err)}`);
          }
          return performance.now() - t0;
        };
        const viaClient = async (id: string) => {
          const t0 = performance.now();
          try {
            await stack.client.connection.withDeadline(Date.now() + sampleTimeoutMs, () =>
              stack.client.workflow.getHandle(id).query(statusQuery),
            );
          } catch (err) {
            signal.throwIfAborted();
            if (++rawFailures === 1) log(`query failed: ${reasonOf(err)}`);
          }
          return performance.now() - t0;
        };
        const stopAt = performance.now() + samplingSeconds(sizes.statusSamples) * 1000;
        for (let i = 0; i < 20 && performance.now() < stopAt; i++)
          await Promise.all([viaApi(ids[i % open]!), viaClient(ids[i % open]!)]);
        unexpected = 0;
        rawFailures = 0;
        for (let i = 0; i < sizes.statusSamples && performance.now() < stopAt; i++) {
          const id = ids[i % open]!;
          if (i % 2 === 0) {
            raw.push(await viaClient(id));
            api.push(await viaApi(id));
          } else {
            api.push(await viaApi(id));
            raw.push(await viaClient(id));
          }
        }
        if (unexpected > 0) log(`${unexpected} GETs did not answer 202`);
        if (rawFailures > 0) log(`${rawFailures} queries failed`);
        if (api.length < sizes.statusSamples)
          log(
            `${api.length} of ${sizes.statusSamples} samples within ${samplingSeconds(sizes.statusSamples)} s`,
          );
        return {
          ...latencyRatio(api, raw),
          open,
          running,
          unexpected,
          rawFailures,
          planned: sizes.statusSamples,
        };
      },
    },
  },
  rows: ({ samples }) => {
    const p2 = valueOf(samples)!;
    const openNote =
      p2.running < p2.open
        ? `${grouped(p2.open)} open (${grouped(p2.running)} runners running, the rest still queued)`
        : `${grouped(p2.open)} running`;
    const failed = (n: number, what: string) => (n > 0 ? `; ${grouped(n)} ${what}` : '');
    const cut = p2.api.n < p2.planned ? ` (only ${grouped(p2.api.n)} samples in the time allowed)` : '';
    // A baseline that mostly failed (queries timing out on a backlogged worker) compares with nothing.
    const comparable = p2.rawFailures <= p2.raw.n / 10;
    return [
      [
        'P2',
        `Status latency, ${openNote}${cut}`,
        `p50 ${ms(p2.api.p50)}, p99 ${ms(p2.api.p99)} (\`GET /processes/{id}\`${failed(p2.unexpected, 'not 202')})`,
        `p50 ${ms(p2.raw.p50)}, p99 ${ms(p2.raw.p99)} (\`handle.query('status')\`${failed(p2.rawFailures, 'failed')})`,
        comparable
          ? `p50 ${p2.p50Ratio}, p99 ${p2.p99Ratio}`
          : `not comparable: ${grouped(p2.rawFailures)} of ${grouped(p2.raw.n)} queries failed`,
        comparable ? `p99 ≤ 1.5 ${check(p2.p99Ratio <= 1.5)}` : 'p99 ≤ 1.5 —',
      ],
    ];
  },
  method: ({ samples }) => {
    const p2 = valueOf(samples)!;
    return {
      open: grouped(p2.open),
      running: grouped(p2.running),
      someQueued: p2.running < p2.open,
      samples: grouped(p2.api.n),
      cut: p2.api.n < p2.planned,
      planned: grouped(p2.planned),
      unexpected: p2.unexpected,
      rawFailures: p2.rawFailures,
    };
  },
});
