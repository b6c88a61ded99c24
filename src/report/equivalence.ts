// The Rosetta check as the report shows it: for each framework and model, whether its network,
// from the canonical weights, matched the NumPy reference (and had the spec's parameter count), with
// the largest difference relative to the output's scale. Only current outcomes count as verdicts:
// a stale one is shown as stale with its old numbers, never as a pass.
import { byDeclaration, frameworkName } from './model.ts';
import type { Report } from './model.ts';
import { formatCount, STATUS_LABELS } from './format.ts';
import type { CellStatus, EquivalenceRow } from '../pipeline/schemas.ts';

export interface EquivalenceCell {
  benchmark: string;
  status: CellStatus;
  /** true / false for a current outcome, null otherwise. */
  passed: boolean | null;
  /** What the table cell says, e.g. "pass, 7.7e-7". */
  text: string;
  /** The numbers in full, for a tooltip and the closing note: "max |diff| 1.5e-6 on a scale of 1.97 ...". */
  detail: string;
  /** max |diff| / scale of a current outcome, null otherwise. */
  relativeDiff: number | null;
}

export interface EquivalenceLine {
  framework: string;
  name: string;
  cells: EquivalenceCell[];
}

const exponent = (value: number | null) => (value === null ? 'not finite' : value.toExponential(1));

function cellOf(benchmark: string, row: EquivalenceRow | undefined): EquivalenceCell {
  if (!row) return { benchmark, status: 'not-measured', passed: null, text: 'not run yet', detail: 'no check recorded', relativeDiff: null };
  const outcome = row.outcome;
  if (!outcome) return { benchmark, status: row.status, passed: null, text: STATUS_LABELS[row.status], detail: row.reason ?? '', relativeDiff: null };
  const sizeOk = outcome.param_count === outcome.expected_param_count;
  const verdict = outcome.passed ? 'pass' : 'FAIL';
  const training = outcome.training;
  const trainingText = training
    ? `; training step ${training.passed ? '' : 'FAIL, '}${exponent(training.update_relative_diff)}${training.by_design ? ` (by design ${exponent(training.by_design.update_relative_diff)} from the spec)` : ''}`
    : '';
  const numbers = (sizeOk ? exponent(outcome.relative_diff) : `${formatCount(outcome.param_count)} parameters, spec ${formatCount(outcome.expected_param_count)}`) + trainingText;
  const trainingDetail = training
    ? `; training step (${training.steps} ${training.optimizer} steps on a batch of ${training.batch}, dropout off): loss relative difference ` +
      `${exponent(training.loss_relative_diff)} (tolerance ${training.loss_tolerance}), updates ${exponent(training.update_relative_diff)} ` +
      `at worst, in ${training.worst_tensor} (tolerance ${training.update_tolerance})` +
      (training.by_design
        ? `; differs from the spec by design: ${training.by_design.difference}, which moves the updates by ` +
          `${exponent(training.by_design.update_relative_diff)} (in ${training.by_design.worst_tensor}) and the loss by ${exponent(training.by_design.loss_relative_diff)} after ${training.steps} steps`
        : '')
    : outcome.training === undefined ? '; training step not checked (a check of the forward pass only)' : '';
  const detail =
    `forward pass: max |diff| ${exponent(outcome.max_abs_diff)} on a scale of ${outcome.scale.toPrecision(3)} ` +
    `(relative ${exponent(outcome.relative_diff)}, tolerance ${outcome.tolerance}); ${formatCount(outcome.param_count)} parameters; probe: ${outcome.probe}${trainingDetail}`;
  if (row.status === 'stale') return { benchmark, status: 'stale', passed: null, text: `stale (was ${verdict}, ${numbers})`, detail: `${row.reason}; ${detail}`, relativeDiff: null };
  return { benchmark, status: row.status, passed: outcome.passed, text: `${verdict}, ${numbers}`, detail, relativeDiff: outcome.relative_diff };
}

/** One line per framework that has a check of any benchmark, one cell per benchmark. */
export function equivalenceTable(report: Report): EquivalenceLine[] {
  const rows = report.datasets.flatMap((dataset) => dataset.equivalence.map((row) => ({ benchmark: dataset.benchmark, row })));
  const frameworks = [...new Set(rows.map(({ row }) => row.framework))].sort(byDeclaration(report.frameworks));
  return frameworks.map((framework) => ({
    framework,
    name: frameworkName(report, framework),
    cells: report.benchmarks.map((benchmark) =>
      cellOf(benchmark.id, rows.find(({ benchmark: b, row }) => b === benchmark.id && row.framework === framework)?.row),
    ),
  }));
}

/** How many current checks passed, of how many current ones. */
export function equivalenceSummary(lines: EquivalenceLine[]): { passed: number; current: number } {
  const cells = lines.flatMap((line) => line.cells).filter((cell) => cell.passed !== null);
  return { passed: cells.filter((cell) => cell.passed).length, current: cells.length };
}

/** One benchmark's checks in a sentence, for its section: "6 of 6 frameworks match the NumPy
 * reference (largest relative difference 1.5e-6)", naming the ones that fail. */
export function benchmarkCheckLine(report: Report, benchmark: string): string {
  const cells = equivalenceTable(report).map((line) => ({ name: line.name, cell: line.cells.find((c) => c.benchmark === benchmark)! }));
  const current = cells.filter(({ cell }) => cell.passed !== null);
  if (current.length === 0) return 'no current check recorded';
  const passing = current.filter(({ cell }) => cell.passed);
  const diffs = passing.map(({ cell }) => cell.relativeDiff ?? 0);
  const largest = diffs.length ? ` (largest relative difference ${Math.max(...diffs).toExponential(1)})` : '';
  const failing = current.filter(({ cell }) => !cell.passed).map(({ name }) => name);
  const others = cells.length - current.length;
  return `${passing.length} of ${current.length} frameworks match the NumPy reference${largest}` +
    (failing.length ? `; fails: ${failing.join(', ')}` : '') +
    (others ? `; ${others} without a current check` : '');
}
