// What limits a result, wherever its numbers appear (tables, charts, findings, notes): it fails
// training parity (the mean of its accuracies over the dropout seeds lies farther than the band
// from those of the frameworks trained on the same target and mode, parity.ts: it did not learn
// what they learned, so its time is not the same work; of two that disagree, both fail, as neither
// can be told right), it is noisy (the machine moved under it, or its repeats spread), or it is
// stale (measured under inputs that changed since).
// Findings leave parity failures out of every comparison and say so; noisy figures are quoted with
// "noisy"; stale ones are never counted.
import { formatPercent } from './format.ts';
import { datasetOf } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { formatMeanAccuracy, formatPoints, PARITY_SIGMAS, trainingParity } from './parity.ts';
import { shownStatus } from './stale.ts';
import type { DatasetRow } from '../pipeline/schemas.ts';

export type FlagKind = 'parity' | 'noisy' | 'stale';

export interface Flag {
  kind: FlagKind;
  /** The word shown on the mark: "fails parity", "noisy", "stale". */
  label: string;
  /** Why, in a sentence for readers. */
  reason: string;
}

export const FLAG_LABELS: Record<FlagKind, string> = { parity: 'fails parity', noisy: 'noisy', stale: 'stale' };

/** Why a cell fails training parity, or null when it does not (or nothing to compare it with). */
export function parityFailure(report: Report, row: Pick<DatasetRow, 'benchmark' | 'framework' | 'target' | 'mode' | 'profile' | 'status' | 'result'>): string | null {
  const dataset = datasetOf(report, row.benchmark);
  if (!dataset || row.profile === 'smoke') return null;
  const check = trainingParity([dataset]).find((c) => c.target === row.target && c.mode === row.mode);
  if (!check || !check.outliers.includes(row.framework)) return null;
  const own = check.accuracies.find((a) => a.framework === row.framework)!;
  const others = check.accuracies.filter((a) => a !== own && a.verdict !== 'too-few-seeds');
  const synthetic = row.result?.data.synthetic ?? false;
  return (
    `fails training parity: its test accuracy, ${formatMeanAccuracy(own, synthetic)}, is ${formatPoints(own.difference!)} from the median ` +
    `${formatPercent(own.mean - own.difference!)} of the means of the ${others.length} other frameworks trained on the same target and mode ` +
    `(allowed: ${formatPoints(check.band!)}, ${PARITY_SIGMAS} standard errors of their seed-to-seed spread), so it did not learn what they ` +
    `learned and its time is not compared with theirs`
  );
}

export function failsParity(report: Report, row: DatasetRow): boolean {
  return parityFailure(report, row) !== null;
}

/** Every flag of a result, most serious first; none for a cell without a result. */
export function cellFlags(report: Report, row: DatasetRow): Flag[] {
  if (row.result === null) return [];
  const flags: Flag[] = [];
  const parity = parityFailure(report, row);
  if (parity) flags.push({ kind: 'parity', label: FLAG_LABELS.parity, reason: parity });
  if (isNoisy(row)) flags.push({ kind: 'noisy', label: FLAG_LABELS.noisy, reason: `noisy: ${row.noisy.join('; ')}` });
  const dataset = datasetOf(report, row.benchmark);
  if (dataset && shownStatus(row, dataset) === 'stale') flags.push({ kind: 'stale', label: FLAG_LABELS.stale, reason: 'stale: measured under inputs that changed since' });
  return flags;
}

/** "fails parity, noisy": the flags as the words after a figure; empty when there are none. */
export function flagWords(flags: Flag[]): string {
  return flags.map((flag) => flag.label).join(', ');
}
