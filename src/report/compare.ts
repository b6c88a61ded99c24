// The "What changed since REV" section of a build run with `--compare REV`: the results diff that
// the pipeline computed (diffResults, src/pipeline/diff.ts) and wrote to the file named by
// ROSETTA_COMPARE_FILE. The site may import only schemas.ts and key.ts from the pipeline, so it reads
// the file with a schema of its own: the fields it renders, in loose objects (the file carries whole
// dataset rows, of revisions that may be older than this one).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatWithUnit, STATUS_LABELS } from './format.ts';
import { machineLabel, machineLabels } from './machines.ts';
import { benchmarkOf, byDeclaration, findRow, frameworkName, parseAddress, targetLabel, targetOf } from './model.ts';
import type { Report } from './model.ts';
import { routes } from './paths.ts';
import type { CellStatus } from '../pipeline/schemas.ts';

export const VERDICTS = ['regressed', 'improved', 'within noise', 'not comparable', 'new', 'removed', 'status changed', 'unchanged'] as const;
const VerdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof VerdictSchema>;

const ComparedRowSchema = z.looseObject({
  status: z.string(),
  noisy: z.array(z.string()).optional(),
  result: z
    .looseObject({
      metric: z.looseObject({ median: z.number(), unit: z.string() }),
      machine: z.looseObject({ id: z.string() }).optional(),
    })
    .nullable(),
});

const CellChangeSchema = z.looseObject({
  id: z.string(),
  benchmark: z.string(),
  verdict: VerdictSchema,
  before: ComparedRowSchema.nullable(),
  after: ComparedRowSchema.nullable(),
  estimate: z.looseObject({ ratio: z.number(), low: z.number(), high: z.number(), p: z.number() }).nullable(),
  notes: z.array(z.string()),
  attention: z.boolean(),
});

const CheckChangeSchema = z.looseObject({ benchmark: z.string(), framework: z.string(), before: z.string(), after: z.string(), attention: z.boolean() });

export const ComparisonSchema = z.looseObject({
  base: z.string(),
  head: z.string(),
  cells: z.array(CellChangeSchema),
  checks: z.array(CheckChangeSchema),
  counts: z.record(VerdictSchema, z.int().nonnegative()),
  compared: z.int().nonnegative(),
});

export type Comparison = z.infer<typeof ComparisonSchema>;
export type CellChange = z.infer<typeof CellChangeSchema>;
export type CheckChange = z.infer<typeof CheckChangeSchema>;
type ComparedRow = z.infer<typeof ComparedRowSchema>;

/** The comparison in a file; an error names the file and what in it is wrong. */
export async function loadComparison(path: string): Promise<Comparison> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`ROSETTA_COMPARE_FILE ${path} cannot be read: ${error.message}`);
  });
  const parsed = ComparisonSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`ROSETTA_COMPARE_FILE ${path} is not a results diff (npm run build -- --compare REV writes one):\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The thresholds of the diff (MIN_EFFECT and FDR in src/pipeline/diff.ts, CALIBRATION_DRIFT_LIMIT in
 * datasets.ts), which the site may not import: tests/report/compare.test.ts holds them equal.
 */
export const DIFF_THRESHOLDS = { minEffect: 0.05, fdr: 0.05, calibrationLimit: 0.1 };

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** How the verdicts are reached, in one sentence under the section. */
export function methodSentence(comparison: Pick<Comparison, 'compared'>): string {
  const { minEffect, fdr, calibrationLimit } = DIFF_THRESHOLDS;
  const cells = comparison.compared === 1 ? '1 cell' : `${comparison.compared} cells`;
  return (
    `A change counts when the ratio of medians (after / before; times, so lower is better) differs from 1 by at least ${percent(minEffect)} ` +
    `and its bootstrap p-value is a discovery at a ${percent(fdr)} false discovery rate (Benjamini-Hochberg over the ${cells} measured again); ` +
    `the interval is the ratio's 95% bootstrap interval. Results of different machines, noisy runs, and calibrations more than ` +
    `${percent(calibrationLimit)} apart are not comparable, never a regression.`
  );
}

/** "1 regressed, 2 improved, ..., 1 status changed (40 unchanged); 1 Rosetta check changed" */
export function comparisonSummary(comparison: Comparison): string {
  const { counts } = comparison;
  const changed = VERDICTS.filter((verdict) => verdict !== 'unchanged').map((verdict) => `${counts[verdict]} ${verdict}`);
  const checks = comparison.checks.length ? `; ${comparison.checks.length} Rosetta ${comparison.checks.length === 1 ? 'check' : 'checks'} changed` : '';
  return `${changed.join(', ')} (${counts.unchanged} unchanged)${checks}`;
}

/** A cell of the diff as the report names it, with its page when this build has one. */
export interface CellName {
  id: string;
  /** "PyTorch, CPU (build machine), fp32" */
  name: string;
  /** The site path of its result page (routes.cell); null when this build has no such cell. */
  path: string | null;
}

function cellName(report: Report, id: string): CellName {
  const address = parseAddress(id);
  if (!address) return { id, name: id, path: null };
  const profile = address.profile && targetOf(report, address.target)?.profile !== address.profile ? `, ${address.profile} profile` : '';
  const row = findRow(report, address);
  return {
    id,
    name: `${frameworkName(report, address.framework)}, ${targetLabel(report, address.target)}, ${address.mode}${profile}`,
    path: row ? routes.cell(row) : null,
  };
}

export interface Figure {
  /** "20 s", "20 s (noisy)", "failed", "absent". */
  value: string;
  /** "machine A"; null without a result or without a recorded machine. */
  machine: string | null;
}

function figureOf(row: ComparedRow | null, labels: Map<string, string>): Figure {
  if (!row) return { value: 'absent', machine: null };
  if (row.status !== 'ok' || !row.result) return { value: STATUS_LABELS[row.status as CellStatus] ?? row.status, machine: null };
  const value = formatWithUnit(row.result.metric.median, row.result.metric.unit);
  return {
    value: row.noisy?.length ? `${value} (noisy)` : value,
    machine: row.result.machine ? machineLabel(labels, row.result.machine.id) : null,
  };
}

export interface ChangeLine extends CellName {
  verdict: Verdict;
  before: Figure;
  after: Figure;
  /** "1.250×" (as the pull-request comment, three decimals); null without an estimate (a new, removed or failed cell). */
  ratio: string | null;
  /** "1.210–1.290" */
  interval: string | null;
  notes: string[];
  attention: boolean;
}

export interface ChangeSection {
  benchmark: string;
  title: string;
  lines: ChangeLine[];
  checks: CheckChange[];
}

export interface AttentionItem {
  /** What needs attention, with the cell it concerns when there is one. */
  cell: CellName | null;
  text: string;
}

/** What needs attention first, as the pull-request comment lists it: cells, then Rosetta checks. */
export function attentionItems(report: Report, comparison: Comparison): AttentionItem[] {
  return [
    ...comparison.cells.filter((change) => change.attention).map((change) => ({ cell: cellName(report, change.id), text: change.notes.join('; ') })),
    ...comparison.checks
      .filter((check) => check.attention)
      .map((check) => ({
        cell: null,
        text: `the Rosetta check of ${frameworkName(report, check.framework)} for ${benchmarkOf(report, check.benchmark)?.title ?? check.benchmark} no longer passes: ${check.before} → ${check.after}`,
      })),
  ];
}

// The pull-request comment's order: what may need a fix first.
const ORDER: Verdict[] = ['regressed', 'status changed', 'improved', 'not comparable', 'new', 'removed', 'within noise'];

/** Per benchmark (in the report's order), the cells that changed and the checks that did. */
export function changeSections(report: Report, comparison: Comparison): ChangeSection[] {
  const labels = machineLabels(report);
  const benchmarks = [...new Set([...comparison.cells.map((c) => c.benchmark), ...comparison.checks.map((c) => c.benchmark)])].sort(byDeclaration(report.benchmarks));
  return benchmarks
    .map((benchmark) => ({
      benchmark,
      title: benchmarkOf(report, benchmark)?.title ?? benchmark,
      lines: comparison.cells
        .filter((change) => change.benchmark === benchmark && change.verdict !== 'unchanged')
        .sort((a, b) => ORDER.indexOf(a.verdict) - ORDER.indexOf(b.verdict) || a.id.localeCompare(b.id))
        .map((change) => ({
          ...cellName(report, change.id),
          verdict: change.verdict,
          before: figureOf(change.before, labels),
          after: figureOf(change.after, labels),
          ratio: change.estimate ? `${change.estimate.ratio.toFixed(3)}×` : null,
          interval: change.estimate ? `${change.estimate.low.toFixed(3)}–${change.estimate.high.toFixed(3)}` : null,
          notes: change.notes,
          attention: change.attention,
        })),
      checks: comparison.checks.filter((check) => check.benchmark === benchmark),
    }))
    .filter((section) => section.lines.length > 0 || section.checks.length > 0);
}
