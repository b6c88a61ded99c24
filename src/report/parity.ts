// The Rosetta checks the report shows as data: training parity (same data, same initial weights:
// final accuracies across frameworks within a stated band) and forward-pass equivalence against
// the NumPy reference (what each fp32 result recorded).
import type { Dataset, DatasetRow } from '../pipeline/schemas.ts';
import { median } from '../pipeline/stats.ts';

/** Largest allowed spread (max - min) of the frameworks' median test accuracies, absolute. */
export const PARITY_BAND = 0.05;

export interface ParityCheck {
  benchmark: string;
  target: string;
  mode: string;
  accuracies: { framework: string; accuracy: number }[];
  /** The median of the frameworks' accuracies: what "the same network learns the same" expects. */
  median: number;
  spread: number;
  band: number;
  passed: boolean;
  /** The frameworks whose accuracy lies farther than the band from the median: the cells that fail parity. */
  outliers: string[];
}

export function medianAccuracy(row: DatasetRow): number | null {
  const values = row.result?.accuracies ?? (row.result?.accuracy == null ? null : [row.result.accuracy]);
  return values?.length ? median(values) : null;
}

/** One check per training benchmark x target x mode with at least two ok (not stale) results. */
export function trainingParity(datasets: Dataset[], band = PARITY_BAND): ParityCheck[] {
  const checks: ParityCheck[] = [];
  for (const dataset of datasets) {
    const groups = new Map<string, { framework: string; accuracy: number }[]>();
    for (const row of dataset.rows) {
      const accuracy = row.status === 'ok' && row.profile !== 'smoke' ? medianAccuracy(row) : null;
      if (accuracy === null) continue;
      const group = `${row.target}/${row.mode}`;
      groups.set(group, [...(groups.get(group) ?? []), { framework: row.framework, accuracy }]);
    }
    for (const [group, accuracies] of groups) {
      if (accuracies.length < 2) continue;
      const values = accuracies.map((a) => a.accuracy);
      const spread = Math.max(...values) - Math.min(...values);
      const middle = median(values);
      const outliers = accuracies.filter((a) => Math.abs(a.accuracy - middle) > band).map((a) => a.framework);
      const [target, mode] = group.split('/');
      checks.push({ benchmark: dataset.benchmark, target, mode, accuracies, median: middle, spread, band, passed: spread <= band, outliers });
    }
  }
  return checks;
}

export function describeParity(check: ParityCheck): string {
  const list = check.accuracies.map((a) => `${a.framework} ${a.accuracy.toFixed(3)}`).join(', ');
  return `${check.benchmark} on ${check.target} (${check.mode}): spread ${check.spread.toFixed(3)} ${check.passed ? '<=' : '>'} band ${check.band} [${list}]`;
}
