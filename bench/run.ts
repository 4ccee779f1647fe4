/**
 * `npm run bench`: what longrun costs on top of Temporal, as ratios measured in one run on one
 * machine against a real dev server, real worker and API processes (see BENCHMARKS.md). Prints a
 * table and writes BENCHMARKS.md and bench/results/latest.json. Never a pass/fail test, and never
 * an abort: a measure that fails is a row that says why, and the others still run.
 *
 * Sizes come from the environment (bench/support/sizes.ts); BENCH_QUICK=1 is a small smoke run
 * (written to bench/results/quick.{md,json}, BENCHMARKS.md untouched); BENCH_ONLY=P1,P5 runs
 * some measures. `--render [FILE.json]` rewrites the Markdown from a results file without
 * measuring again. The measures are in bench/measures/, the page's prose in bench/report/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../scripts/launcher.js';
import { measures } from './measures/index.js';
import { fromLegacy, isLegacy } from './report/legacy.js';
import { writeReport, type Results } from './report/render.js';
import { log } from './support/log.js';
import { describeMachine, meterForeignLoad, type Machine } from './support/machine.js';
import { runMeasures, type MeasureOutcomes } from './support/runner.js';
import { onlyMeasures, quick, sizes } from './support/sizes.js';
import { round } from './support/stats.js';

const resultsDir = join(repoRoot, 'bench/results');

function render(file = join(resultsDir, 'latest.json')): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const results = isLegacy(json) ? fromLegacy(json) : (json as Results);
  log(`wrote ${writeReport(results, measures)} from ${file}`);
}

async function measure(): Promise<void> {
  // An error from work a measure abandoned (a gRPC retry firing after its stack's connection has
  // closed, say) must not end the run and lose the table: every measure is bounded by the runner.
  for (const event of ['uncaughtException', 'unhandledRejection'] as const)
    process.on(event, (err: unknown) =>
      console.error(`[bench] ${event} outside any measure (the run goes on):`, err),
    );
  const t0 = performance.now();
  const foreignLoad = meterForeignLoad();
  log(`sizes ${JSON.stringify(sizes)}${quick ? ' (quick)' : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'longrun-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const selected = measures.filter((m) => !onlyMeasures || onlyMeasures.has(m.id));
  const outcomes: MeasureOutcomes = {};
  for (const m of measures.filter((m) => !selected.includes(m)))
    outcomes[m.id] = Object.fromEntries(
      Object.keys(m.steps).map((key) => [key, { status: 'skipped', reason: 'not in BENCH_ONLY' }]),
    );
  let machine: Machine | undefined;
  try {
    await runMeasures(selected, outcomes, {
      dir,
      sizes,
      // The server's version, from the first stack that comes up.
      onStack: async (stack) => void (machine ??= await describeMachine(stack.client)),
    });
  } catch (err) {
    // A bug in the runner itself: what was measured so far is still written.
    console.error('[bench] the run stopped early:', err);
  }
  // Every child has stopped and been reaped: our share of the machine's busy time is known.
  const results: Results = {
    format: 2,
    machine: machine ?? (await describeMachine()),
    foreignLoad: foreignLoad.read(),
    sizes,
    quick,
    durationSeconds: round((performance.now() - t0) / 1000, 1),
    outcomes,
  };
  log(`other load during the run: ${JSON.stringify(results.foreignLoad)}`);
  mkdirSync(resultsDir, { recursive: true });
  const name = quick ? 'quick' : 'latest';
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = writeReport(results, measures);
  log(`wrote ${markdown} and bench/results/${name}.json in ${Math.round(results.durationSeconds)} s`);
}

const main =
  process.argv[2] === '--render' ? () => Promise.resolve().then(() => render(process.argv[3])) : measure;
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench]', err);
    process.exit(1);
  },
);
