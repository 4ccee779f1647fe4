/**
 * S5 freshness (issue 11, point 4): how long a runner's progress report takes to reach `GET
 * /processes/{id}` and the event stream, with 100 and with 2,000 other processes running on the
 * durable server. `followed` (20) processes with 1-s steps report every second; each one is
 * polled by GET every 100 ms and followed by an event stream. A report's time is in its
 * heartbeat: the resource's `updatedAt` is the report's `at` for a running attempt that has
 * reported. A sample is when a new `updatedAt` first shows on a channel, minus that time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import type { ProcessResource } from '../../src/contract/resources.js';
import { benchAuthorization } from '../support/auth.js';
import { workflowIdOf } from '../../src/gateway/ids.js';
import {
  defineMeasure,
  valueOf,
  whyNot,
  type Fixture,
  type Outcome,
  type StepContext,
} from '../support/measure.js';
import {
  ageOf,
  scaleOpeningSeconds,
  scaleProcesses,
  someProcesses,
  type OpenProcesses,
} from '../support/open-processes.js';
import type { Sizes } from '../support/sizes.js';
import { check, grouped, ms, percentiles, type Percentiles } from '../support/stats.js';
import { pool, requestJson, waitFor, within } from '../support/waits.js';

export interface Freshness {
  /** Processes running beside the followed ones. */
  others: number;
  followed: number;
  seconds: number;
  get: Percentiles;
  events: Percentiles;
  /** GETs answered, and those that failed. */
  polls: number;
  pollFailures: number;
  finishing?: boolean;
}

/** How often each followed process is read by GET. */
const pollMs = 100;
/** The product's defaults (src/config.ts), as the bench's stack runs them. */
const defaults = loadConfig({});
const progressIntervalMs = defaults.PROGRESS_INTERVAL_MS;
const eventsPollMs = defaults.EVENTS_POLL_INTERVAL_MS;
/** At 2,000: what the intervals allow, at p99 — the report's pacing plus the reader's own look. */
const allowedMs = { get: progressIntervalMs + pollMs, events: progressIntervalMs + eventsPollMs };

/** A channel's observations of one process: when each new `updatedAt` was first seen. */
class Channel {
  private lastUpdatedAt: string | undefined;
  private seenAny = false;
  readonly samples: number[] = [];

  constructor(private readonly since: number) {}

  /** A resource as the channel received it at `arrival`. */
  saw(resource: ProcessResource, arrival: number): void {
    const reported = resource.status === 'running' && resource.progress.message.startsWith('step ');
    const first = !this.seenAny;
    this.seenAny = true;
    if (resource.updatedAt === this.lastUpdatedAt) return;
    this.lastUpdatedAt = resource.updatedAt;
    const at = Date.parse(resource.updatedAt);
    // The first look finds a report of unknown age; one made before following began says nothing either.
    if (first || !reported || at < this.since) return;
    this.samples.push(arrival - at);
  }
}

/** GET every `pollMs` until `signal` aborts; failures are counted, the channel sees the answers. */
async function poll(
  url: string,
  channel: Channel,
  signal: AbortSignal,
  counts: { ok: number; failed: number },
) {
  while (!signal.aborted) {
    const t0 = performance.now();
    try {
      const answer = await requestJson(url, { signal, timeoutMs: 10_000 });
      channel.saw(answer.body, Date.now());
      counts.ok++;
    } catch {
      if (signal.aborted) return;
      counts.failed++;
    }
    const left = pollMs - (performance.now() - t0);
    if (left > 0) await sleep(left, undefined, { signal }).catch(() => undefined);
  }
}

/** Follows an event stream until `signal` aborts, or the stream ends. */
async function follow(url: string, channel: Channel, signal: AbortSignal): Promise<void> {
  try {
    const response = await fetch(url, {
      signal,
      headers: { accept: 'text/event-stream', authorization: benchAuthorization() },
    });
    if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      const arrival = Date.now();
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) channel.saw(JSON.parse(data) as ProcessResource, arrival);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

async function measureFreshness(ctx: StepContext, fixture: Fixture<OpenProcesses>): Promise<Freshness> {
  const { stack, sizes, signal, log, defer } = ctx;
  const opened = await ctx.use(fixture);
  // 1-s steps, lasting past the following with room for a slow start.
  const seconds = Math.min(1000, sizes.freshnessSeconds + 180);
  const ids = await pool(
    sizes.followed,
    8,
    async () => {
      const started = await requestJson(`${stack.apiUrl}/processes`, {
        method: 'POST',
        body: { kind: 'delay', input: { seconds, steps: seconds } },
        signal,
      });
      if (started.status !== 202) throw new Error(`POST /processes answered ${started.status}`);
      const id = started.body.id;
      defer(() =>
        stack.client.connection
          .withDeadline(Date.now() + 10_000, () =>
            stack.client.workflow.getHandle(workflowIdOf(id)).terminate('benchmark done'),
          )
          .catch(() => undefined),
      );
      return id;
    },
    signal,
  );
  // Every followed process reporting before the clock starts.
  await pool(
    ids.length,
    8,
    (i) =>
      waitFor(
        async () => (await requestJson(`${stack.apiUrl}/processes/${ids[i]}`, { signal })).body,
        (r) => r.status === 'running' && r.progress.message.startsWith('step '),
        { timeoutMs: 180_000, intervalMs: 500, what: `followed process ${i + 1} reporting`, signal },
      ),
    signal,
  );
  const since = Date.now();
  const stop = new AbortController();
  const following = within(AbortSignal.any([signal, stop.signal]), sizes.freshnessSeconds * 1000 + 60_000);
  const counts = { ok: 0, failed: 0 };
  const gets = ids.map(() => new Channel(since));
  const streams = ids.map(() => new Channel(since));
  const work = [
    ...ids.map((id, i) => poll(`${stack.apiUrl}/processes/${id}`, gets[i]!, following, counts)),
    ...ids.map((id, i) => follow(`${stack.apiUrl}/processes/${id}/events`, streams[i]!, following)),
  ];
  await sleep(sizes.freshnessSeconds * 1000, undefined, { signal });
  stop.abort();
  await Promise.all(work);
  const get = percentiles(gets.flatMap((c) => c.samples));
  const events = percentiles(streams.flatMap((c) => c.samples));
  log(
    `GET p50 ${ms(get.p50)} p99 ${ms(get.p99)} (${get.n}); events p50 ${ms(events.p50)} p99 ${ms(events.p99)} (${events.n})`,
  );
  if (get.n === 0 || events.n === 0)
    throw new Error(`no report seen (${get.n} by GET, ${events.n} by events)`);
  return {
    others: opened.running,
    followed: ids.length,
    seconds: sizes.freshnessSeconds,
    get,
    events,
    polls: counts.ok,
    pollFailures: counts.failed,
    finishing: ageOf(opened).finishing,
  };
}

/** A step of S5: the followed processes beside `others` (`open(sizes)` of them), on the durable server. */
const freshnessStep = (label: string, others: Fixture<OpenProcesses>, open: (s: Sizes) => number) => ({
  on: 'durable' as const,
  label,
  uses: [others],
  timeLimitSeconds: (s: Sizes) => scaleOpeningSeconds(open(s)) + 300 + 2 * s.freshnessSeconds,
  run: (ctx: StepContext) => measureFreshness(ctx, others),
});

const figures = (f: Freshness) =>
  `GET p50 ${ms(f.get.p50)}, p99 ${ms(f.get.p99)}; event stream p50 ${ms(f.events.p50)}, p99 ${ms(f.events.p99)}` +
  (f.pollFailures > 0 ? `; ${grouped(f.pollFailures)} GETs failed` : '') +
  (f.finishing ? '; some processes had finished by then' : '');

const title = (f: Freshness | undefined, fallback: number) =>
  `Freshness of progress: ${grouped(f?.others ?? fallback)} running + ${f?.followed ?? '?'} followed, durable`;

function row(id: string, outcome: Outcome<Freshness>, fallback: number, small: boolean) {
  const f = valueOf(outcome);
  const target = small
    ? `p99 ≤ 2 s ${f ? check(Math.max(f.get.p99, f.events.p99) <= 2000) : ''}`
    : `p99 ≤ ${ms(allowedMs.get)} (GET), ≤ ${ms(allowedMs.events)} (events) ${f ? check(f.get.p99 <= allowedMs.get && f.events.p99 <= allowedMs.events) : ''}`;
  return [
    id,
    title(f, fallback),
    f ? figures(f) : whyNot(outcome),
    small
      ? `a report is sent within ${ms(progressIntervalMs)} (\`PROGRESS_INTERVAL_MS\`)`
      : `what the intervals allow: ${ms(progressIntervalMs)} to send + the reader's look (GET every ${ms(pollMs)}, the stream's every ${ms(eventsPollMs)})`,
    '—',
    target.trim(),
  ] as [string, string, string, string, string, string];
}

export const freshness = defineMeasure<{ small: Freshness; large: Freshness }>({
  id: 'S5',
  title: 'freshness of progress',
  steps: {
    small: freshnessStep('freshness (100 running)', someProcesses, (s) => s.freshnessOpen),
    large: freshnessStep('freshness (2,000 running)', scaleProcesses, (s) => s.scaleOpen),
  },
  rows: ({ small, large }, { sizes }) => [
    row('S5', small, sizes.freshnessOpen, true),
    row('', large, sizes.scaleOpen, false),
  ],
  method: ({ small, large }, { sizes }) => {
    const samples = (o: Outcome<Freshness>) => {
      const f = valueOf(o);
      return f ? `${grouped(f.get.n)} by GET and ${grouped(f.events.n)} by the streams` : whyNot(o);
    };
    return {
      followed: sizes.followed,
      freshnessSeconds: sizes.freshnessSeconds,
      pollMs,
      eventsPollMs,
      progressIntervalMs,
      small: grouped(sizes.freshnessOpen),
      large: grouped(sizes.scaleOpen),
      smallSamples: samples(small),
      largeSamples: samples(large),
      allowedGet: ms(allowedMs.get),
      allowedEvents: ms(allowedMs.events),
    };
  },
});
