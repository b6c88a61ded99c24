// The results diff: the result datasets (and Rosetta checks) of two revisions, compared cell by
// cell, with a statistical verdict for each, as Markdown for a pull request or as JSON.
//
// A change counts only when it is both large and clear: the ratio of medians (after / before)
// differs from 1 by at least MIN_EFFECT, and its bootstrap p-value is a discovery at a false
// discovery rate of FDR over all the cells compared (Benjamini-Hochberg). Two results measured on
// different machines, or whose machine calibration moved during the cell, or with calibrations that
// differ by more than the calibration limit between the two, are "not comparable": never a
// regression. (Repeats that spread widely are not excluded: their interval is wide.)
import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CALIBRATION_DRIFT_LIMIT, calibrationNoise } from './datasets.ts';
import { RESULTS_DIR } from './files.ts';
import { diffInputs } from './key.ts';
import type { RunnerResult } from './schemas.ts';
import { benjaminiHochberg, meanAndSd, median, pooledSd, ratioOfMedians, testSetSize } from './stats.ts';
import type { RatioEstimate } from './stats.ts';

/** The smallest change of a median that counts, as a fraction. */
export const MIN_EFFECT = 0.05;
/** The false discovery rate over all compared cells. */
export const FDR = 0.05;
/** An accuracy moves beyond its band when the mean over its seeds (one per repeat, spec rule 5) moves
 * by more than this many standard errors of the difference of the two means (the seed-to-seed
 * deviation pooled over both, at least one test item), the parity check's rule (src/report/parity.ts). */
export const ACCURACY_SIGMAS = 3;
/** The band, absolute, where one side has a single seed (no spread to judge by): older results. */
export const ACCURACY_BAND = 0.05;

// Datasets of older revisions may lack newer fields: read only what the diff needs, loosely.
const ResultSchema = z.looseObject({
  metric: z.looseObject({ samples: z.array(z.number()).nonempty(), median: z.number(), unit: z.string() }),
  accuracies: z.array(z.number()).nullable().optional(),
  machine: z.looseObject({ id: z.string() }).optional(),
  calibration: z.looseObject({ readings: z.array(z.looseObject({ cpu_gflops: z.number(), gpu_gflops: z.number().nullable() })) }).optional(),
});
const RowSchema = z.looseObject({
  benchmark: z.string(),
  framework: z.string(),
  target: z.string(),
  mode: z.string(),
  profile: z.string(),
  status: z.string(),
  entry_key: z.string().nullable(),
  reason: z.string().nullable().optional(),
  finished_at: z.string().nullable().optional(),
  inputs: z.looseObject({ params: z.unknown() }).nullable().optional(),
  result: ResultSchema.nullable(),
});
const CheckRowSchema = z.looseObject({ framework: z.string(), status: z.string(), outcome: z.looseObject({ passed: z.boolean() }).nullable() });
const DatasetSchema = z.looseObject({ benchmark: z.string(), rows: z.array(RowSchema), equivalence: z.array(CheckRowSchema).default([]) });
export type Row = z.infer<typeof RowSchema>;
export type ComparedDataset = z.infer<typeof DatasetSchema>;

export type Verdict = 'regressed' | 'improved' | 'within noise' | 'not comparable' | 'new' | 'removed' | 'status changed' | 'unchanged';
export const VERDICTS: Verdict[] = ['regressed', 'improved', 'within noise', 'not comparable', 'new', 'removed', 'status changed', 'unchanged'];

export interface CellChange {
  id: string;
  benchmark: string;
  verdict: Verdict;
  before: Row | null;
  after: Row | null;
  estimate: RatioEstimate | null;
  /** Why it is not comparable, what changed in status or accuracy: words for the reader. */
  notes: string[];
  /** Listed before everything else: accuracy beyond the band, ok -> failed. */
  attention: boolean;
}

export interface CheckChange {
  benchmark: string;
  framework: string;
  before: string;
  after: string;
  /** A check that stops passing needs attention. */
  attention: boolean;
}

export interface ResultsDiff {
  cells: CellChange[];
  checks: CheckChange[];
  counts: Record<Verdict, number>;
  compared: number;
}

/** Statuses of a cell that has no measurement at all, and those of a run that went wrong. */
const NEVER_RAN = new Set(['not-measured', 'unsupported']);
const FAILED = new Set(['failed', 'timeout', 'invalid-output', 'unavailable']);

const cellId = (row: Row) => `${row.benchmark}/${row.framework}/${row.target}/${row.mode}/${row.profile}`;
const calibrationOf = (result: z.infer<typeof ResultSchema>) => {
  const readings = result.calibration?.readings ?? [];
  return readings.length ? median(readings.map((r) => r.cpu_gflops)) : null;
};
// The spread of the repeats is what the bootstrap interval measures; a calibration that moved
// during the cell means the samples themselves cannot be trusted.
const unsteadyOf = (row: Row) => calibrationNoise(row.result as unknown as RunnerResult);

/** Whether the accuracy moved beyond its band from `before` to `after`, in words; null when it did not (or none was recorded). */
function accuracyMove(before: Row, after: Row): string | null {
  const [a, b] = [before.result?.accuracies ?? [], after.result?.accuracies ?? []];
  if (!a.length || !b.length) return null;
  const [meanBefore, meanAfter] = [meanAndSd(a).mean, meanAndSd(b).mean];
  const seeds = a.length > 1 && b.length > 1;
  const item = Math.max(testSetSize(before.inputs?.params) ?? 0, testSetSize(after.inputs?.params) ?? 0);
  const band = seeds ? ACCURACY_SIGMAS * Math.max(pooledSd([a, b]), item ? 1 / item : 0) * Math.sqrt(1 / a.length + 1 / b.length) : ACCURACY_BAND;
  if (Math.abs(meanAfter - meanBefore) <= band) return null;
  const why = seeds ? `${ACCURACY_SIGMAS} standard errors over ${a.length} and ${b.length} seeds` : 'fixed: a single seed has no spread';
  return `accuracy moved from ${meanBefore.toFixed(3)} to ${meanAfter.toFixed(3)} (mean over seeds), beyond its ${band.toFixed(3)} band (${why})`;
}

/** Why two ok results cannot be compared; empty when they can. */
export function incomparability(before: Row, after: Row): string[] {
  const reasons: string[] = [];
  const [a, b] = [before.result!, after.result!];
  if (!a.machine || !b.machine) reasons.push('the machine of one of them was not recorded');
  else if (a.machine.id !== b.machine.id) reasons.push(`measured on different machines (${a.machine.id} before, ${b.machine.id} after)`);
  for (const [when, row] of [['before', before], ['after', after]] as const) {
    const unsteady = unsteadyOf(row);
    if (unsteady.length) reasons.push(`${when}: ${unsteady.join('; ')}`);
  }
  const [ca, cb] = [calibrationOf(a), calibrationOf(b)];
  if (ca !== null && cb !== null && Math.abs(cb / ca - 1) > CALIBRATION_DRIFT_LIMIT)
    reasons.push(`the machine's calibration differs by ${Math.round((cb / ca - 1) * 100)}% (limit ${CALIBRATION_DRIFT_LIMIT * 100}%)`);
  if (before.inputs && after.inputs && diffInputs(before.inputs.params, after.inputs.params).length) reasons.push('the workload (params) differs');
  return reasons;
}

function statusNote(before: Row | null, after: Row | null): string {
  return `${before?.status ?? 'absent'} -> ${after?.status ?? 'absent'}${after?.reason && after.status !== 'ok' ? `: ${after.reason}` : ''}`;
}

/** Compares the datasets of two revisions, cell by cell and check by check. */
export function diffResults(base: ComparedDataset[], head: ComparedDataset[]): ResultsDiff {
  const rows = (datasets: ComparedDataset[]) => new Map(datasets.flatMap((d) => d.rows).filter((r) => r.profile !== 'smoke').map((r) => [cellId(r), r]));
  const [before, after] = [rows(base), rows(head)];
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();

  const cells: CellChange[] = [];
  for (const id of ids) {
    const [b, a] = [before.get(id) ?? null, after.get(id) ?? null];
    const change: CellChange = { id, benchmark: (a ?? b)!.benchmark, verdict: 'unchanged', before: b, after: a, estimate: null, notes: [], attention: false };
    const okBefore = b?.status === 'ok' && !!b.result;
    const okAfter = a?.status === 'ok' && !!a.result;
    if (okBefore && okAfter) {
      if (b.entry_key === a.entry_key && b.finished_at === a.finished_at) change.verdict = 'unchanged'; // the same measurement
      else {
        change.notes = incomparability(b, a);
        change.verdict = change.notes.length ? 'not comparable' : 'within noise';
        change.estimate = ratioOfMedians(b.result!.metric.samples, a.result!.metric.samples);
      }
      const moved = accuracyMove(b, a);
      if (moved) {
        change.attention = true;
        change.notes.push(moved);
      }
    } else if (okAfter && (!b || NEVER_RAN.has(b.status))) {
      change.verdict = 'new';
    } else if (okBefore && (!a || NEVER_RAN.has(a.status))) {
      change.verdict = 'removed';
    } else if (b && a && b.status !== a.status) {
      change.verdict = 'status changed';
      change.notes.push(statusNote(b, a));
      change.attention = okBefore && FAILED.has(a.status);
    }
    cells.push(change);
  }

  // Only the cells measured again under comparable conditions are tested, and corrected together.
  const tested = cells.filter((c) => c.verdict === 'within noise');
  const discovered = benjaminiHochberg(tested.map((c) => c.estimate!.p), FDR);
  tested.forEach((change, i) => {
    const { ratio } = change.estimate!;
    if (!discovered[i] || Math.abs(ratio - 1) < MIN_EFFECT) return;
    change.verdict = ratio > 1 ? 'regressed' : 'improved'; // every metric is a time: lower is better
  });

  const checks: CheckChange[] = [];
  const checkState = (row: z.infer<typeof CheckRowSchema> | undefined) => (!row ? 'absent' : row.status === 'ok' ? (row.outcome?.passed ? 'pass' : 'fail') : row.status);
  for (const benchmark of [...new Set([...base, ...head].map((d) => d.benchmark))].sort()) {
    const [old, now] = [base, head].map((side) => side.find((d) => d.benchmark === benchmark)?.equivalence ?? []);
    for (const framework of [...new Set([...old, ...now].map((r) => r.framework))].sort()) {
      const [was, is] = [checkState(old.find((r) => r.framework === framework)), checkState(now.find((r) => r.framework === framework))];
      if (was !== is) checks.push({ benchmark, framework, before: was, after: is, attention: was === 'pass' });
    }
  }

  const counts = Object.fromEntries(VERDICTS.map((v) => [v, cells.filter((c) => c.verdict === v).length])) as Record<Verdict, number>;
  return { cells, checks, counts, compared: tested.length };
}

// ---------------------------------------------------------------------------------------------- output

export interface Links {
  /** The report's URL (with its base path): each cell links to its result page. */
  site?: string;
  /** The repository's web URL: before and after link to their cache entries at each revision. */
  repository?: string;
  baseRevision?: string;
  headRevision?: string;
}

const ORDER: Verdict[] = ['regressed', 'status changed', 'improved', 'not comparable', 'new', 'removed', 'within noise'];

function figure(row: Row | null, revision: string | undefined, links: Links): string {
  if (!row?.result || row.status !== 'ok') return row ? row.status : '-';
  const { metric } = row.result;
  const text = `${metric.median.toPrecision(3)} ${metric.unit} (${metric.samples.length}x, ${Math.min(...metric.samples).toPrecision(3)}-${Math.max(...metric.samples).toPrecision(3)})`;
  if (!links.repository || !revision || !row.entry_key) return text;
  const path = `cache/${row.benchmark}/${row.framework}/${row.target}.${row.mode}.${row.profile}.${row.entry_key}.json`;
  return `[${text}](${links.repository.replace(/\/$/, '')}/blob/${revision}/${path})`;
}

function cellName(change: CellChange, links: Links): string {
  const row = (change.after ?? change.before)!;
  const name = `${row.framework} ${row.target} ${row.mode}`;
  if (!links.site) return name;
  return `[${name}](${links.site.replace(/\/$/, '')}/results/${row.benchmark}/${row.framework}/${row.target}-${row.mode}-${row.profile}/)`;
}

const ratioText = (estimate: RatioEstimate | null) =>
  estimate ? `${estimate.ratio.toFixed(3)} (${estimate.low.toFixed(3)}-${estimate.high.toFixed(3)})` : '-';

/** The diff as Markdown for a pull-request comment. */
export function toMarkdown(diff: ResultsDiff, labels: { base: string; head: string }, links: Links = {}): string {
  const { counts } = diff;
  const lines = [
    `### Results diff: ${labels.base} -> ${labels.head}`,
    '',
    `**${counts.regressed} regressed**, ${counts.improved} improved, ${counts['within noise']} within noise, ${counts['not comparable']} not comparable, ` +
      `${counts.new} new, ${counts.removed} removed, ${counts['status changed']} status changed (${counts.unchanged} unchanged)` +
      (diff.checks.length ? `; ${diff.checks.length} Rosetta check(s) changed` : ''),
  ];
  const attention = [
    ...diff.cells.filter((c) => c.attention).map((c) => `- \`${c.id}\`: ${c.notes.join('; ')}`),
    ...diff.checks.filter((c) => c.attention).map((c) => `- Rosetta check \`${c.benchmark}/${c.framework}\` no longer passes: ${c.before} -> ${c.after}`),
  ];
  if (attention.length) lines.push('', '**Needs attention first:**', ...attention);

  for (const benchmark of [...new Set(diff.cells.map((c) => c.benchmark))]) {
    const changed = diff.cells
      .filter((c) => c.benchmark === benchmark && c.verdict !== 'unchanged')
      .sort((a, b) => ORDER.indexOf(a.verdict) - ORDER.indexOf(b.verdict) || a.id.localeCompare(b.id));
    const checks = diff.checks.filter((c) => c.benchmark === benchmark);
    if (!changed.length && !checks.length) continue;
    lines.push('', `#### ${benchmark}`, '');
    if (changed.length) {
      lines.push('| cell | before | after | ratio (95% interval) | verdict |', '|---|---|---|---|---|');
      for (const change of changed) {
        const verdict = change.verdict === 'regressed' || change.verdict === 'improved' ? `**${change.verdict}**` : change.verdict;
        const why = change.notes.length ? `: ${change.notes.join('; ')}` : '';
        lines.push(`| ${cellName(change, links)} | ${figure(change.before, links.baseRevision, links)} | ${figure(change.after, links.headRevision, links)} | ${ratioText(change.estimate)} | ${verdict}${why} |`);
      }
    }
    for (const check of checks) lines.push('', `Rosetta check ${check.framework}: ${check.before} -> ${check.after}`);
  }
  lines.push(
    '',
    `<sub>A change counts when the ratio of medians (after / before; times, lower is better) differs from 1 by at least ${MIN_EFFECT * 100}% ` +
      `and its bootstrap p-value is a discovery at a ${FDR * 100}% false discovery rate (Benjamini-Hochberg over the ${diff.compared} cells measured again). ` +
      `Results from different machines, or whose machine calibration moved during the cell or differs by more than ${CALIBRATION_DRIFT_LIMIT * 100}% between the two, are not comparable, never a regression.</sub>`,
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- revisions

/** The datasets of a revision (null: the working tree), each parsed loosely; a file that does not
 * parse is an error naming it. */
export async function datasetsAt(root: string, revision: string | null): Promise<ComparedDataset[]> {
  if (revision !== null) {
    const known = await execa('git', ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { cwd: root, reject: false });
    if (known.exitCode !== 0) throw new Error(`${revision} is not a revision of this repository`);
  }
  const names = revision === null
    ? await readdir(join(root, RESULTS_DIR)).catch(() => [] as string[])
    : (await execa('git', ['ls-tree', '--name-only', `${revision}:${RESULTS_DIR}`], { cwd: root, reject: false })).stdout.split('\n');
  const datasets: ComparedDataset[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const path = `${RESULTS_DIR}/${name}`;
    const text = revision === null ? await readFile(join(root, path), 'utf8') : (await execa('git', ['show', `${revision}:${path}`], { cwd: root })).stdout;
    const parsed = DatasetSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path} at ${revision ?? 'the working tree'} is not a result dataset:\n${z.prettifyError(parsed.error)}`);
    datasets.push(parsed.data);
  }
  return datasets;
}

/** The default base: where HEAD left the default branch (origin's HEAD, else main or master). */
export async function defaultBase(root: string): Promise<string> {
  const git = (...args: string[]) => execa('git', args, { cwd: root, reject: false });
  const remote = (await git('symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD')).stdout.trim();
  for (const branch of [remote, 'origin/main', 'main', 'origin/master', 'master'].filter(Boolean)) {
    const base = await git('merge-base', 'HEAD', branch);
    if (base.exitCode === 0) return base.stdout.trim();
  }
  throw new Error('no default branch (origin/HEAD, main or master) to compare with: give --base REV');
}
