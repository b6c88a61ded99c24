// The Rosetta checks the report shows as data: training parity (same data, same initial weights:
// the frameworks' accuracies over several dropout seeds agree within a band derived from their own
// seed-to-seed spread) and forward-pass equivalence against the NumPy reference (what each fp32
// result recorded).
//
// The rule: each repeat trains with its own dropout seed (spec rule 5), so a result's accuracies are
// a sample of what its network learns. A framework fails parity when the mean of its accuracies lies
// more than PARITY_SIGMAS * s * sqrt(2 / n) from the median of the other frameworks' means: s is the
// seed-to-seed standard deviation pooled over the frameworks compared (at least one test item, the
// resolution of an accuracy), n the fewest seeds among them, so the band is three standard errors of
// a difference of two n-seed means. Between two frameworks that disagree, both fail, as neither can
// be told right. Below MIN_SEEDS seeds a spread says too little (the dropout seed alone moves the
// cpu profile's CNN from 62% to 100%), so such a result is "too few seeds", never a pass.
import type { Dataset, DatasetRow } from '../pipeline/schemas.ts';
import { meanAndSd, median, pooledSd, testSetSize } from '../pipeline/stats.ts';
import { formatCount, formatPercent } from './format.ts';

/** Seeds a framework needs before its accuracies are compared. */
export const MIN_SEEDS = 5;
/** Standard errors of the difference of two means the band allows. */
export const PARITY_SIGMAS = 3;

/** One result's test accuracies across its repeats (one dropout seed each). */
export interface SeedSpread {
  seeds: number;
  mean: number;
  /** The sample standard deviation across seeds; 0 for one seed. */
  sd: number;
  min: number;
  max: number;
}

export type ParityVerdict = 'pass' | 'fail' | 'too-few-seeds';

export interface FrameworkAccuracy extends SeedSpread {
  framework: string;
  verdict: ParityVerdict;
  /** Its mean minus the median of the other compared frameworks' means; null when not compared. */
  difference: number | null;
}

export interface ParityCheck {
  benchmark: string;
  target: string;
  mode: string;
  accuracies: FrameworkAccuracy[];
  /** The pooled seed-to-seed standard deviation the band is built from; null when fewer than two frameworks have MIN_SEEDS seeds. */
  sd: number | null;
  /** The fewest seeds among the frameworks compared; null as `sd`. */
  seeds: number | null;
  /** The largest allowed distance of a framework's mean from the median of the others' means; null as `sd`. */
  band: number | null;
  verdict: ParityVerdict;
  /** The frameworks that fail parity. */
  outliers: string[];
}

/** Mean, standard deviation and range of a result's accuracies (an older result with only `accuracy` counts as one seed). */
export function seedSpread(row: Pick<DatasetRow, 'result'>): SeedSpread | null {
  const values = row.result?.accuracies ?? (row.result?.accuracy == null ? null : [row.result.accuracy]);
  if (!values?.length) return null;
  return { seeds: values.length, ...meanAndSd(values), min: Math.min(...values), max: Math.max(...values) };
}

/** The verdict of one group of results of the same benchmark, target and mode. */
function compare(rows: { row: DatasetRow; spread: SeedSpread }[]): Pick<ParityCheck, 'accuracies' | 'sd' | 'seeds' | 'band' | 'verdict' | 'outliers'> {
  const compared = rows.filter(({ spread }) => spread.seeds >= MIN_SEEDS);
  if (compared.length < 2) {
    const accuracies = rows.map(({ row, spread }) => ({ framework: row.framework, ...spread, verdict: 'too-few-seeds' as const, difference: null }));
    return { accuracies, sd: null, seeds: null, band: null, verdict: 'too-few-seeds', outliers: [] };
  }
  const pooled = pooledSd(compared.map(({ row }) => row.result?.accuracies ?? []));
  const sizes = compared.map(({ row }) => testSetSize(row.inputs?.params)).filter((size): size is number => size !== null);
  const sd = Math.max(pooled, sizes.length ? 1 / Math.max(...sizes) : 0);
  const seeds = Math.min(...compared.map(({ spread }) => spread.seeds));
  const band = PARITY_SIGMAS * sd * Math.sqrt(2 / seeds);
  const accuracies = rows.map(({ row, spread }): FrameworkAccuracy => {
    if (spread.seeds < MIN_SEEDS) return { framework: row.framework, ...spread, verdict: 'too-few-seeds', difference: null };
    const others = compared.filter((other) => other.row !== row).map((other) => other.spread.mean);
    const difference = spread.mean - median(others);
    return { framework: row.framework, ...spread, verdict: Math.abs(difference) > band ? 'fail' : 'pass', difference };
  });
  const outliers = accuracies.filter((a) => a.verdict === 'fail').map((a) => a.framework);
  return { accuracies, sd, seeds, band, verdict: outliers.length ? 'fail' : 'pass', outliers };
}

/** One check per training benchmark x target x mode with at least two ok (not stale, not smoke) results. */
export function trainingParity(datasets: Dataset[]): ParityCheck[] {
  const checks: ParityCheck[] = [];
  for (const dataset of datasets) {
    const groups = new Map<string, { row: DatasetRow; spread: SeedSpread }[]>();
    for (const row of dataset.rows) {
      const spread = row.status === 'ok' && row.profile !== 'smoke' ? seedSpread(row) : null;
      if (spread === null) continue;
      const group = `${row.target}/${row.mode}`;
      groups.set(group, [...(groups.get(group) ?? []), { row, spread }]);
    }
    for (const [group, rows] of groups) {
      if (rows.length < 2) continue;
      const [target, mode] = group.split('/');
      checks.push({ benchmark: dataset.benchmark, target, mode, ...compare(rows) });
    }
  }
  return checks;
}

/** An accuracy difference or spread in percentage points, one decimal: 0.0123 -> "1.2 points". */
export const formatPoints = (fraction: number) => `${(Math.abs(fraction) * 100).toFixed(1)} points`;

/** A result's spread across seeds in words: "sd 1.2 points, 85.0–95.0% over 5 seeds", "1 seed". */
export function formatSeeds(spread: SeedSpread): string {
  if (spread.seeds === 1) return '1 seed';
  return `sd ${formatPoints(spread.sd)}, ${formatPercent(spread.min)}–${formatPercent(spread.max)} over ${formatCount(spread.seeds)} seeds`;
}

/** A mean accuracy with its standard deviation across seeds: "61.0% ± 1.2 points over 5 seeds (stand-in data)". */
export function formatMeanAccuracy(spread: SeedSpread, synthetic: boolean): string {
  const seeds = spread.seeds === 1 ? ' over 1 seed' : ` ± ${formatPoints(spread.sd)} over ${formatCount(spread.seeds)} seeds`;
  return `${formatPercent(spread.mean)}${seeds}${synthetic ? ' (stand-in data)' : ''}`;
}

/** The rule as the page states it, with this check's numbers when it has them. */
export function describeRule(check?: Pick<ParityCheck, 'sd' | 'seeds' | 'band'>): string {
  const rule =
    `a framework fails when the mean of its accuracies over at least ${MIN_SEEDS} dropout seeds lies more than ${PARITY_SIGMAS} standard errors ` +
    `(${PARITY_SIGMAS} × s × √(2/n)) from the median of the other frameworks' means, s being their seed-to-seed standard deviation pooled ` +
    `(at least one test item) and n the fewest seeds among them; with fewer seeds there is no verdict`;
  if (!check || check.band === null) return rule;
  return `${rule} (here s = ${formatPoints(check.sd!)}, n = ${check.seeds}: band ${formatPoints(check.band)})`;
}

export function describeParity(check: ParityCheck): string {
  const list = check.accuracies.map((a) => `${a.framework} ${a.mean.toFixed(3)}±${a.sd.toFixed(3)} (${a.seeds})`).join(', ');
  const verdict = check.band === null ? `too few seeds (fewer than ${MIN_SEEDS})` : `${check.verdict}, band ${check.band.toFixed(3)}`;
  return `${check.benchmark} on ${check.target} (${check.mode}): ${verdict} [${list}]`;
}
