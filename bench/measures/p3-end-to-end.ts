/**
 * P3 end to end: a no-op process from `POST /processes` with `Prefer: wait=30` to its 200 answer,
 * against `client.workflow.execute` of the same workflow, one at a time, alternating sides.
 */
import { processOrchestrator } from '../../src/workflows/index.js';
import { rawStartOptions } from '../support/delay-kind.js';
import { defineMeasure, valueOf } from '../support/measure.js';
import { check, grouped, latencyRatio, ms, type LatencyRatio } from '../support/stats.js';
import { requestJson } from '../support/waits.js';

export type EndToEnd = LatencyRatio & { failures: number };

export const endToEnd = defineMeasure<{ samples: EndToEnd }>({
  id: 'P3',
  title: 'end to end, no-op process',
  steps: {
    samples: {
      on: 'memory',
      label: 'end to end',
      timeLimitSeconds: (s) => 120 + 2 * (s.e2eSamples + 5) * 2,
      async run({ stack, sizes, signal }) {
        const input = { seconds: 0.001, steps: 1 };
        const api: number[] = [];
        const raw: number[] = [];
        let failures = 0;
        const viaApi = async () => {
          const t0 = performance.now();
          try {
            const answer = await requestJson(`${stack.apiUrl}/processes`, {
              method: 'POST',
              body: { kind: 'delay', input },
              headers: { prefer: 'wait=30' },
              signal,
            });
            if (answer.status !== 200 || answer.body.status !== 'succeeded') failures++;
          } catch (err) {
            signal.throwIfAborted();
            failures++;
            if (failures > sizes.e2eSamples / 10) throw err; // not one slow answer: a broken API
          }
          return performance.now() - t0;
        };
        const viaClient = async () => {
          const t0 = performance.now();
          await stack.client.workflow.execute(processOrchestrator, rawStartOptions(stack.taskQueue, input));
          return performance.now() - t0;
        };
        for (let i = 0; i < 5; i++) await Promise.all([viaApi(), viaClient()]); // warm-up
        failures = 0;
        // One at a time, alternating sides: latency without queueing, and drift shared equally.
        for (let i = 0; i < sizes.e2eSamples; i++) {
          if (i % 2 === 0) {
            raw.push(await viaClient());
            api.push(await viaApi());
          } else {
            api.push(await viaApi());
            raw.push(await viaClient());
          }
        }
        return { ...latencyRatio(api, raw), failures };
      },
    },
  },
  rows: ({ samples }) => {
    const p3 = valueOf(samples)!;
    return [
      [
        'P3',
        'End to end, no-op process',
        `p50 ${ms(p3.api.p50)}, p99 ${ms(p3.api.p99)} (\`POST\` + \`Prefer: wait=30\`)`,
        `p50 ${ms(p3.raw.p50)}, p99 ${ms(p3.raw.p99)} (\`client.workflow.execute\`)`,
        `p50 ${p3.p50Ratio}, p99 ${p3.p99Ratio}`,
        `≤ 1.2 ${check(p3.p50Ratio <= 1.2 && p3.p99Ratio <= 1.2)}`,
      ],
    ];
  },
  method: ({ samples }) => {
    const p3 = valueOf(samples)!;
    return { samples: grouped(p3.api.n), failures: p3.failures };
  },
});
