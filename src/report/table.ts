// The results table of one benchmark: frameworks as rows, targets x modes as columns, and the
// reasons of the cells that are not ok, or noisy, as numbered notes under the table (one note per
// distinct reason, so twelve "not measured yet" cells do not repeat the same sentence twelve times).
// A column group names the machine(s) that measured it; where it mixes machines, it says so and
// each value names its own machine, so a column is never read as one comparison silently. A value
// that fails training parity is marked, with its note. Rows are sorted by speed: the fastest median
// of the first target with results first, frameworks with none there last. A target where nothing is
// measured takes one column, not one per mode: each of its cells says the status of every mode.
import { byMachine, DIFFERENT_MACHINES, machineCaveat, machineKey, machineLabel, machineLabels } from './machines.ts';
import { benchmarkOf, byDeclaration, datasetOf, frameworkIds, frameworkName, shownRows, targetLabel } from './model.ts';
import type { Report } from './model.ts';
import { STATUS_LABELS } from './format.ts';
import { noiseNote } from './noise.ts';
import { parityFailure } from './quality.ts';
import { shownStatus, staleness } from './stale.ts';
import type { CellStatus, DatasetRow, Mode, Profile } from '../pipeline/schemas.ts';

export interface Column {
  target: string;
  profile: Profile;
  /** Null: the one column of a target where nothing is measured, for all its modes. */
  mode: Mode | null;
}

export interface ColumnGroup {
  target: string;
  label: string;
  profile: Profile;
  span: number;
  /** The labels of the machines that measured the values shown under it ("machine A"). */
  machines: string[];
  /** machineCaveat of those values: "measured on different machines", "machine not recorded" or null. */
  caveat: string | null;
}

export interface TableCell {
  column: Column;
  /** Null only if the dataset lacks the cell (the pipeline always writes the whole matrix). */
  row: DatasetRow | null;
  status: CellStatus | null;
  /** 1-based number of the note that says why, for cells that are not ok. */
  note: number | null;
  /** 1-based number of the note that says why its numbers are noisy, for noisy cells. */
  noisyNote: number | null;
  /** 1-based number of the note that says why it fails training parity, for those cells. */
  parityNote: number | null;
  /** Its machine's label, for a value in a column group that mixes machines; null otherwise. */
  machine: string | null;
  /** In the one column of a target where nothing is measured: each mode's cell, its status and note; null elsewhere. */
  modes: { mode: Mode; row: DatasetRow; status: CellStatus; note: number | null }[] | null;
}

export interface TableRow {
  framework: string;
  name: string;
  cells: TableCell[];
}

export interface ResultsTable {
  benchmark: string;
  groups: ColumnGroup[];
  columns: Column[];
  rows: TableRow[];
  notes: string[];
}

/**
 * A pipeline reason as a reader needs it: a GPU cell that is not measured yet says what it needs
 * and where to learn how to measure it (its own page), not a pointer into the README.
 */
export function readerReason(reason: string): string {
  return reason
    .replace(/^not measured yet: needs the (.+) \(see the GPU flow in the README\)$/, 'not measured yet: it needs the $1, which the build machine does not have; its page says how to measure it')
    .replace(/^not run yet: `npm run build` runs it$/, 'not run yet: the next build (`npm run build`) measures it');
}

/** Why a cell is not ok, as its note reads; null for ok cells and for cells with nothing to say. */
export function cellNote(row: DatasetRow, status: CellStatus, specVersion: number): string | null {
  if (status === 'ok') return null;
  const reasons = status === 'stale' ? staleness(row, { spec_version: specVersion }).reasons : row.reason ? [readerReason(row.reason)] : [];
  if (reasons.length === 0) return null;
  const text = reasons.join('; ');
  // Reasons such as "not measured yet: ..." already say the status.
  return text.toLowerCase().startsWith(STATUS_LABELS[status]) ? text : `${STATUS_LABELS[status]}: ${text}`;
}

/** Null when the benchmark has no dataset yet. */
export function resultsTable(report: Report, benchmark: string): ResultsTable | null {
  const dataset = datasetOf(report, benchmark);
  if (!dataset) return null;
  const rows = shownRows(dataset);
  const modes = benchmarkOf(report, benchmark)?.modes ?? [...new Set(rows.map((row) => row.mode))];
  const targetOrder = byDeclaration(report.targets);
  const places = [...new Map(rows.map((row) => [`${row.target}/${row.profile}`, { target: row.target, profile: row.profile }])).values()].sort(
    (a, b) => targetOrder(a.target, b.target) || a.profile.localeCompare(b.profile),
  );
  const measuredAt = (place: { target: string; profile: Profile }) =>
    rows.filter((row) => row.target === place.target && row.profile === place.profile && row.result !== null);
  const columns = places.flatMap((place): Column[] => (measuredAt(place).length === 0 ? [{ ...place, mode: null }] : modes.map((mode) => ({ ...place, mode }))));
  const labels = machineLabels(report);
  const groups = places.map((place) => {
    const measured = measuredAt(place);
    const machines = [...new Set(measured.map(machineKey))].sort(byMachine(labels)).map((key) => machineLabel(labels, key));
    return { ...place, label: targetLabel(report, place.target), span: measured.length === 0 ? 1 : modes.length, machines, caveat: machineCaveat(measured) };
  });
  const mixed = (column: Column) => groups.find((g) => g.target === column.target && g.profile === column.profile)?.caveat === DIFFERENT_MACHINES;

  const notes: string[] = [];
  const noteNumber = (text: string | null) => {
    if (text === null) return null;
    if (!notes.includes(text)) notes.push(text);
    return notes.indexOf(text) + 1;
  };
  const tableRows = frameworkIds(report, rows).map((framework) => ({
      framework,
      name: frameworkName(report, framework),
      cells: columns.map((column): TableCell => {
        const find = (mode: Mode) => rows.find((r) => r.framework === framework && r.target === column.target && r.profile === column.profile && r.mode === mode) ?? null;
        if (column.mode === null) {
          const each = modes.flatMap((mode) => {
            const row = find(mode);
            if (!row) return [];
            const status = shownStatus(row, dataset);
            return [{ mode, row, status, note: noteNumber(cellNote(row, status, dataset.spec_version)) }];
          });
          return { column, row: each[0]?.row ?? null, status: each[0]?.status ?? null, note: null, noisyNote: null, parityNote: null, machine: null, modes: each };
        }
        const row = find(column.mode);
        const status = row ? shownStatus(row, dataset) : null;
        return {
          column,
          row,
          status,
          note: row && status ? noteNumber(cellNote(row, status, dataset.spec_version)) : null,
          noisyNote: row?.result ? noteNumber(noiseNote(row)) : null,
          parityNote: row?.result && status === 'ok' ? noteNumber(parityFailure(report, row)) : null,
          machine: row?.result && mixed(column) ? machineLabel(labels, machineKey(row)) : null,
          modes: null,
        };
      }),
    }));
  return { benchmark, groups, columns, notes, rows: bySpeed(tableRows) };
}

/** The fastest current median of a row in the first target and profile that has one in any row; stable otherwise. */
function bySpeed(rows: TableRow[]): TableRow[] {
  const time = (cell: TableCell) => (cell.status === 'ok' && cell.row?.result ? cell.row.result.metric.median : Infinity);
  const place = (cell: TableCell) => `${cell.column.target}/${cell.column.profile}`;
  const first = rows[0]?.cells.find((cell) => rows.some((row) => row.cells.some((c) => place(c) === place(cell) && time(c) < Infinity)));
  if (!first) return rows;
  const best = (row: TableRow) => Math.min(...row.cells.filter((cell) => place(cell) === place(first)).map(time));
  return [...rows].sort((a, b) => best(a) - best(b) || 0);
}
