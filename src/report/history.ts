// A cell's history as its page shows it: the earlier results of the same cell (replaced by a
// re-measure, or measured under older inputs), oldest first, then the result the page is about.
// Each line names its machine; a line measured on another machine than the current result says so,
// since the report never compares figures of different machines silently (machines.ts). Which
// inputs differ from the cell's current ones is the other reason two lines may not compare.
import { formatNumber, formatWithUnit } from './format.ts';
import { machineKey, machineLabel, machineLabels, NOT_RECORDED } from './machines.ts';
import { datasetOf } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { shownStatus } from './stale.ts';
import type { CellStatus, DatasetRow } from '../pipeline/schemas.ts';

/** The chart of a history starts at this many results with a median (the current one included). */
export const HISTORY_CHART_MIN_POINTS = 3;

export interface HistoryLine {
  /** The cache entry the line comes from. */
  entryKey: string | null;
  finishedAt: string | null;
  /** The run's own status; for the current result, the status the report shows ("stale" included). */
  status: CellStatus;
  median: number | null;
  unit: string | null;
  /** The machine key (machines.ts) and its label: "machine A", "machine not recorded". */
  machine: string;
  machineLabel: string;
  /** Measured on another machine than the reference (the current result's): not comparable with it. */
  otherMachine: boolean;
  /** What the line says of it: "another machine", or "not comparable" where either machine was not
   * recorded (it may be the same one: unknown); null for the reference machine's lines. */
  machineNote: string | null;
  /** Dotted input paths that differ from the cell's current inputs ("seed", "files.runners/..."). */
  changed: string[];
  /** The result the page is about. */
  current: boolean;
  /** Only the current result records whether it is noisy; earlier ones keep just their median. */
  noisy: boolean;
}

/**
 * The cell's history, oldest first, then its current result (when it has one). Without a current
 * result, the latest earlier result with a median is the reference machine, so the lines still say
 * which of them do not compare with each other.
 */
export function cellHistory(report: Report, row: DatasetRow): HistoryLine[] {
  const labels = machineLabels(report);
  const dataset = datasetOf(report, row.benchmark) ?? { spec_version: row.inputs?.spec_version ?? 0 };
  const earlier = row.history.map((point) => ({
    entryKey: point.entry_key,
    finishedAt: point.finished_at,
    status: point.status,
    median: point.median,
    unit: point.unit,
    machine: point.machine ?? NOT_RECORDED,
    changed: point.changed,
    current: false,
    noisy: false,
  }));
  const current = row.result
    ? [{
        entryKey: row.entry_key,
        finishedAt: row.finished_at,
        status: shownStatus(row, dataset),
        median: row.result.metric.median,
        unit: row.result.metric.unit,
        machine: machineKey(row),
        changed: row.stale_inputs,
        current: true,
        noisy: isNoisy(row),
      }]
    : [];
  const lines = [...earlier, ...current];
  const reference = (current[0] ?? earlier.findLast((line) => line.median !== null))?.machine ?? null;
  // A run that measured nothing (failed) has no figure to compare, and the pipeline records no
  // machine for it: it is never marked as another machine's.
  return lines.map((line) => {
    const otherMachine = line.median !== null && reference !== null && line.machine !== reference;
    const unknown = line.machine === NOT_RECORDED || reference === NOT_RECORDED;
    return { ...line, machineLabel: machineLabel(labels, line.machine), otherMachine, machineNote: otherMachine ? (unknown ? 'not comparable' : 'another machine') : null };
  });
}

/** The lines a chart of the median over time draws: those with a median in the reference's unit. */
export function chartedLines(lines: HistoryLine[]): HistoryLine[] {
  const unit = (lines.find((line) => line.current) ?? lines.findLast((line) => line.median !== null))?.unit ?? null;
  return lines.filter((line) => line.median !== null && line.finishedAt !== null && line.unit === unit);
}

/** "20 s", "20 s (noisy)", or "—" for a run that measured nothing (its status says why). */
export function historyValue(line: Pick<HistoryLine, 'median' | 'unit' | 'noisy'>): string {
  if (line.median === null) return '—';
  const value = line.unit ? formatWithUnit(line.median, line.unit) : formatNumber(line.median);
  return line.noisy ? `${value} (noisy)` : value;
}
