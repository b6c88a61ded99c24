// The result datasets: one JSON file per benchmark under content/results/ (its cells and the
// Rosetta checks of its networks), what the report renders and what pull-request reviewers read.
// Sorted and free of build-time values, so they only change when a result does.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Content } from './content.ts';
import { RESULTS_DIR, writeFileAtomic } from './files.ts';
import { canonicalJson, diffInputs } from './key.ts';
import { cellId, cellsOf, checksOf } from './plan.ts';
import type { PlannedCell, PlannedCheck, PlannedJob } from './plan.ts';
import { spread } from './stats.ts';
import { DatasetSchema, SPEC_VERSION } from './schemas.ts';
import type { CacheEntry, CheckEntry, Dataset, DatasetRow, EquivalenceRow, HistoryPoint, RunnerResult } from './schemas.ts';

/** A cell is noisy when its calibration workload's speed moved by more than this fraction of its
 * median during the cell (the machine changed speed under it)... */
export const CALIBRATION_DRIFT_LIMIT = 0.1;
/** ...or when its timed repeats spread (max - min) by more than this fraction of their median. */
export const REPEAT_SPREAD_LIMIT = 0.15;

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/**
 * How far a cell's calibration readings moved. One reading lasts a fraction of a second, so a
 * single low one is a blip of the calibration itself (seen on the 2-core build VM: one reading of
 * four at half speed, the neighbours steady); with four readings or more the lowest is set aside,
 * and a slowdown must show in two readings to count.
 */
export function calibrationDrift(values: number[]): number {
  const kept = values.length >= 4 ? [...values].sort((a, b) => a - b).slice(1) : values;
  return spread(kept);
}

/** Why a result's machine cannot be called steady during the cell, in words; empty when it can. */
export function calibrationNoise(result: Pick<RunnerResult, 'calibration'>): string[] {
  const readings = result.calibration?.readings;
  if (!readings) return ['no calibration was recorded: whether the machine was steady is unknown'];
  const reasons: string[] = [];
  for (const [unit, values] of [
    ['CPU', readings.map((r) => r.cpu_gflops)],
    ['GPU', readings.flatMap((r) => (r.gpu_gflops === null ? [] : [r.gpu_gflops]))],
  ] as const) {
    if (values.length > 1 && calibrationDrift(values) > CALIBRATION_DRIFT_LIMIT)
      reasons.push(`the ${unit} calibration moved ${percent(calibrationDrift(values))} during the cell (limit ${percent(CALIBRATION_DRIFT_LIMIT)})`);
  }
  return reasons;
}

/** Why a result's numbers are noisy, in words: its calibration moved, or its repeats spread. */
export function noiseOf(result: RunnerResult): string[] {
  const reasons = calibrationNoise(result);
  const samples = result.metric.samples;
  if (samples.length > 1 && spread(samples) > REPEAT_SPREAD_LIMIT)
    reasons.push(`its repeats spread ${percent(spread(samples))} of their median (limit ${percent(REPEAT_SPREAD_LIMIT)})`);
  return reasons;
}

/** Where a planned job stands for a reader, the same for cells and checks: its row status and
 * reason, and the stored record its figures come from (null when there is none to show). */
export function standing<E extends CacheEntry | CheckEntry>(job: PlannedCell | PlannedCheck, content: Content) {
  type Standing = { status: DatasetRow['status']; reason: string | null; entry: E | null; stale_inputs: string[]; stderr_tail: string[] };
  const none = { entry: null, stale_inputs: [], stderr_tail: [] };
  if (job.status === 'unsupported' || job.status === 'unavailable') return { ...none, status: job.status, reason: job.reason } as Standing;
  const current = job.current as E | null;
  const previous = job.previous as E | null;
  if (current) return { ...none, entry: current, status: current.status, reason: current.error?.message ?? null, stderr_tail: current.error?.stderr_tail ?? [] } as Standing;
  if (previous?.status === 'ok')
    return { ...none, entry: previous, status: 'stale', reason: `inputs changed since it ran: ${job.changed.join(', ')}`, stale_inputs: job.changed } as Standing;
  const target = content.targets.find((t) => t.id === job.cell.target)!;
  const reason = job.runnable ? 'not run yet: `npm run build` runs it' : `not measured yet: needs the ${target.label} (see the GPU flow in the README)`;
  return { ...none, status: 'not-measured', reason } as Standing;
}

/** Where a row's figures come from: the stored record's key, inputs and run (null without one). */
const provenanceOf = (entry: CacheEntry | CheckEntry | null) => ({
  entry_key: entry?.key ?? null,
  inputs: entry?.inputs ?? null,
  finished_at: entry?.finished_at ?? null,
  wall_s: entry?.wall_s ?? null,
  command: entry?.command ?? null,
});

export function datasetRow(planned: PlannedCell, content: Content): Omit<DatasetRow, 'history'> {
  const { entry, ...where } = standing<CacheEntry>(planned, content);
  let result = null;
  if (entry?.result) {
    const { protocol: _protocol, event: _event, ...rest } = entry.result;
    result = rest;
  }
  return {
    ...planned.cell,
    key: planned.key,
    ...where,
    result,
    ...provenanceOf(entry),
    started_at: entry?.started_at ?? null,
    noisy: entry?.result ? noiseOf(entry.result) : [],
  };
}

/** The dataset row of a Rosetta check: the same bookkeeping as a cell's, with its outcome. */
export function checkRow(planned: PlannedCheck, content: Content): EquivalenceRow {
  const { entry, ...where } = standing<CheckEntry>(planned, content);
  return { framework: planned.cell.framework, key: planned.key, ...where, ...provenanceOf(entry), outcome: entry?.outcome ?? null };
}

/** The cell's other results (any key, and those a re-measure replaced), oldest first. */
function historyOf(row: Pick<DatasetRow, 'entry_key' | 'finished_at'>, planned: PlannedCell, earlier: CacheEntry[]): HistoryPoint[] {
  return earlier
    .filter((entry) => !(entry.key === row.entry_key && entry.finished_at === row.finished_at))
    .sort((a, b) => a.finished_at.localeCompare(b.finished_at))
    .map((entry) => ({
      entry_key: entry.key,
      status: entry.status,
      finished_at: entry.finished_at,
      median: entry.result?.metric.median ?? null,
      unit: entry.result?.metric.unit ?? null,
      machine: entry.result?.machine?.id ?? null,
      changed: planned.inputs ? diffInputs(entry.inputs, planned.inputs) : [],
    }));
}

const order = (row: DatasetRow) => [row.framework, row.target, row.mode, row.profile].join('\u0000');

/** One dataset per benchmark: its cells (with their history: every stored result of the cell,
 * `entries`), and the Rosetta checks of its frameworks' networks. */
export function buildDatasets(jobs: PlannedJob[], content: Content, entries: CacheEntry[] = []): Dataset[] {
  const cells = cellsOf(jobs);
  const checks = checksOf(jobs);
  const byCell = new Map<string, CacheEntry[]>();
  for (const entry of entries) byCell.set(cellId(entry.cell), [...(byCell.get(cellId(entry.cell)) ?? []), entry]);
  return content.benchmarks.map((benchmark) => ({
    benchmark: benchmark.id,
    spec_version: SPEC_VERSION,
    rows: cells
      .filter((cell) => cell.cell.benchmark === benchmark.id)
      .map((cell) => {
        const row = datasetRow(cell, content);
        return { ...row, history: historyOf(row, cell, byCell.get(cell.id) ?? []) };
      })
      .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)),
    equivalence: checks
      .filter((check) => check.cell.benchmark === benchmark.id)
      .map((check) => checkRow(check, content))
      .sort((a, b) => a.framework.localeCompare(b.framework)),
  }));
}

/** Writes each dataset whose content changed and removes those of benchmarks no longer declared;
 * returns the paths written or removed. */
export async function writeDatasets(root: string, datasets: Dataset[]): Promise<string[]> {
  const written: string[] = [];
  const declared = new Set(datasets.map((dataset) => `${dataset.benchmark}.json`));
  for (const name of await readdir(join(root, RESULTS_DIR)).catch(() => [] as string[])) {
    if (!name.endsWith('.json') || declared.has(name)) continue;
    await rm(join(root, RESULTS_DIR, name), { force: true });
    written.push(join(root, RESULTS_DIR, name));
  }
  for (const dataset of datasets) {
    const path = join(root, RESULTS_DIR, `${dataset.benchmark}.json`);
    const text = `${canonicalJson(DatasetSchema.parse(dataset), 2)}\n`;
    const before = await readFile(path, 'utf8').catch(() => null);
    if (before === text) continue;
    await writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}
