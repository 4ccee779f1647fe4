/**
 * The results table and BENCHMARKS.md, from a run's outcomes and the measures' renderers. A
 * measure that returned nothing gets one row saying why; a renderer that throws gets the same,
 * so the page is always written.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/launcher.js';
import type { ForeignLoad, Machine } from '../support/machine.js';
import { whyNot, type AnyMeasure, type Outcome, type ReportInfo, type Row } from '../support/measure.js';
import type { MeasureOutcomes } from '../support/runner.js';
import type { Sizes } from '../support/sizes.js';
import { reasonOf } from '../support/waits.js';
import { fill, readSections, readTemplate } from './template.js';

/** What bench/results/*.json holds, and all a page is rendered from. */
export interface Results {
  format: 2;
  machine: Machine;
  foreignLoad: ForeignLoad;
  sizes: Sizes;
  quick: boolean;
  durationSeconds: number;
  outcomes: MeasureOutcomes;
}

const byId = (measures: AnyMeasure[]) =>
  [...measures].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The outcome that says why none of a measure's steps returned a value; undefined when one did. */
function notMeasured(measure: AnyMeasure, results: Results): Outcome<unknown> | undefined {
  const outcomes = Object.values(results.outcomes[measure.id] ?? {});
  if (outcomes.some((o) => o.status === 'ok')) return undefined;
  return (
    outcomes.find((o) => o.status === 'failed') ?? outcomes[0] ?? { status: 'skipped', reason: 'not run' }
  );
}

/** The values of methods.md's `failed` section. */
function failedValues(measure: AnyMeasure, outcome: Outcome<unknown>) {
  const reason = outcome.status === 'ok' ? '' : outcome.reason;
  return { id: measure.id, title: measure.title, reason, skipped: outcome.status === 'skipped' };
}

function rowsOf(measure: AnyMeasure, results: Results, info: ReportInfo): Row[] {
  const missing = notMeasured(measure, results);
  const failedRow = (why: string): Row[] => [[measure.id, capitalized(measure.title), why, '—', '—', '—']];
  if (missing) return failedRow(whyNot(missing));
  try {
    return measure.rows(results.outcomes[measure.id]!, info);
  } catch (err) {
    return failedRow(`not rendered: ${reasonOf(err)}`);
  }
}

/** A table cell: one line, no column breaks. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

export function renderTable(results: Results, measures: AnyMeasure[]): string {
  const info = { sizes: results.sizes, quick: results.quick };
  const rows = byId(measures).flatMap((m) => rowsOf(m, results, info));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const header = ['', 'Measure', 'longrun', 'Baseline', 'Ratio', 'Target'];
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Ids as ranges where they run on: P1, P2, P3, S1 → "P1–P3, S1". */
function idList(ids: string[]): string {
  const parts: string[] = [];
  let start = 0;
  const parsed = ids.map((id) => /^(\D*)(\d+)$/.exec(id));
  for (let i = 1; i <= ids.length; i++) {
    const [a, b] = [parsed[i - 1], parsed[i]];
    if (a && b && a[1] === b[1] && Number(b[2]) === Number(a[2]) + 1) continue;
    parts.push(i - 1 > start ? `${ids[start]}–${ids[i - 1]}` : ids[start]!);
    start = i;
  }
  return parts.join(', ');
}

export function renderPage(results: Results, measures: AnyMeasure[]): string {
  const info = { sizes: results.sizes, quick: results.quick };
  const sorted = byId(measures);
  const sections = readSections('methods.md');
  const methods = sorted.map((m) => {
    const missing = notMeasured(m, results);
    if (missing) return fill(sections.get('failed') ?? '', failedValues(m, missing), `${m.id} (failed)`);
    const section = sections.get(m.id);
    if (!section) return `- **${m.id} ${m.title}.** (no section in bench/report/methods.md)`;
    try {
      return fill(section, { ...results.sizes, ...m.method(results.outcomes[m.id]!, info) }, m.id);
    } catch (err) {
      const failed = { status: 'failed', reason: `not rendered: ${reasonOf(err)}`, seconds: 0 } as const;
      return fill(sections.get('failed') ?? '', failedValues(m, failed), m.id);
    }
  });
  const facts = new Map<string, string>();
  for (const m of sorted) {
    if (notMeasured(m, results)) continue;
    try {
      for (const [key, value] of Object.entries(m.machine?.(results.outcomes[m.id]!) ?? {}))
        if (!facts.has(key)) facts.set(key, value);
    } catch {
      // a fact is not worth the page
    }
  }
  const on = (kind: string) =>
    idList(sorted.filter((m) => Object.values(m.steps).some((s) => s.on === kind)).map((m) => m.id));
  const { machine, foreignLoad } = results;
  return fill(
    readTemplate('page.md'),
    {
      ...machine,
      ...foreignLoad,
      quick: results.quick,
      incomplete: sorted
        .filter((m) => notMeasured(m, results))
        .map((m) => m.id)
        .join(', '),
      table: renderTable(results, measures),
      measureFacts: [...facts].map(([key, value]) => `| ${key} | ${cell(value)} |`).join('\n'),
      memoryMeasures: on('memory'),
      durableMeasures: on('durable'),
      clusterMeasures: on('cluster'),
      methods: methods.join('\n'),
      runSeconds: Math.round(results.durationSeconds),
      runMinutes: Math.max(1, Math.round(results.durationSeconds / 60)),
    },
    'page.md',
  );
}

/** Writes the page (BENCHMARKS.md, or bench/results/quick.md for a quick run), prints the table; returns the file. */
export function writeReport(results: Results, measures: AnyMeasure[]): string {
  const file = results.quick ? join(repoRoot, 'bench/results/quick.md') : join(repoRoot, 'BENCHMARKS.md');
  writeFileSync(file, renderPage(results, measures));
  console.log(`\n${renderTable(results, measures)}\n`);
  return file;
}
