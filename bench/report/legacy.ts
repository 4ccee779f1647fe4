/**
 * Results files written before the bench became a folder (`p1` … `p6` at the top level) read as
 * today's, so that `--render` still takes them. Their P5 clock is re-read from the server's
 * start of attempt 2, which they recorded too; their heartbeat timeout was 5 s, hard-coded.
 */
import type { Outcome } from '../support/measure.js';
import type { MeasureOutcomes } from '../support/runner.js';
import type { Results } from './render.js';
import { median, round } from '../support/stats.js';

interface LegacyResults extends Omit<Results, 'format' | 'outcomes'> {
  p1: Record<string, unknown>;
  p2: Record<string, unknown>;
  p3: Record<string, unknown>;
  p4: { open: number } & Record<string, unknown>;
  p5: { trials: { apiSeconds: number; runnerStartedSeconds: number }[] };
  p6: { memory: unknown; file: unknown; bullmqVolatile: unknown; bullmqDurable: unknown };
}

const ok = (value: unknown): Outcome<unknown> => ({ status: 'ok', value, seconds: 0 });
const bullmq = (value: unknown): Outcome<unknown> =>
  typeof value !== 'string'
    ? ok(value)
    : value.startsWith('failed: ')
      ? { status: 'failed', reason: value.slice('failed: '.length), seconds: 0 }
      : { status: 'skipped', reason: value.replace(/^skipped:? ?/, '') };

export function isLegacy(json: unknown): json is LegacyResults {
  return typeof json === 'object' && json !== null && 'p1' in json && !('outcomes' in json);
}

export function fromLegacy(legacy: LegacyResults): Results {
  const { p1, p2, p3, p4, p5, p6, ...rest } = legacy;
  const trials = p5.trials.map((t) => ({
    serverStartedSeconds: t.runnerStartedSeconds,
    apiReportedSeconds: t.apiSeconds,
  }));
  const times = trials.map((t) => t.serverStartedSeconds);
  const outcomes: MeasureOutcomes = {
    P1: { starts: ok({ rawFailures: 0, ...p1 }) },
    P2: { samples: ok({ unexpected: 0, rawFailures: 0, planned: legacy.sizes.statusSamples, ...p2 }) },
    P3: { samples: ok(p3) },
    P4: { memory: ok({ loaded: p4.open, startRetries: 0, ...p4 }) },
    P5: {
      trials: ok({
        trials,
        medianSeconds: median(times),
        maxSeconds: Math.max(...times),
        heartbeatTimeoutMs: 5000,
        firstRetryIntervalMs: 1000,
        heartbeatMultiple: round(median(times) / 5),
      }),
    },
    P6: {
      memory: ok(p6.memory),
      durable: ok(p6.file),
      bullmqVolatile: bullmq(p6.bullmqVolatile),
      bullmqDurable: bullmq(p6.bullmqDurable),
    },
  };
  return { ...rest, format: 2, outcomes };
}
