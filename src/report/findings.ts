// The key findings, computed from the current results: the fastest framework per benchmark,
// target, machine and mode, the spread between frameworks, fast-mode speed-ups and the fraction of
// peak. Only results that are ok and current count; stale, failed and missing cells never do.
// Results are compared only with results of the same machine (machines.ts): a group is one target,
// profile, machine and mode, and a speed-up pairs two cells of one machine. Noisy results count, and
// every figure taken from one says so (its `noisy` flag). A result that fails training parity
// (quality.ts) is left out of every comparison and listed as such (`excluded`).
import { byMachine, machineKey, machineLabels, sameMachine } from './machines.ts';
import { byDeclaration, benchmarkOf, datasetOf, shownRows, targetOf } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { parityFailure } from './quality.ts';
import { fractionOfPeak, relativeSpeed, speedup, spreadRatio } from './ratios.ts';
import { isCurrent, shownStatus } from './stale.ts';
import type { CellStatus, DatasetRow, Mode, Profile } from '../pipeline/schemas.ts';

export type Measured = DatasetRow & { result: NonNullable<DatasetRow['result']> };

export interface Group {
  target: string;
  profile: Profile;
  /** The machine key (machines.ts) of every result of the group. */
  machine: string;
  mode: Mode;
}

export interface Timed {
  framework: string;
  seconds: number;
  noisy: boolean;
}

export interface Fastest extends Group {
  winner: Timed;
  runnerUp: Timed | null;
  /** The runner-up's time over the winner's: how many times as fast the winner is. */
  margin: number | null;
  /** How many frameworks were measured in the group. */
  count: number;
}

export interface Spread extends Group {
  fastest: Timed;
  slowest: Timed;
  ratio: number;
  count: number;
}

export interface Speedup {
  framework: string;
  target: string;
  profile: Profile;
  machine: string;
  fp32: number;
  fast: number;
  speedup: number;
  /** Whether the fp32 or the fast result is noisy. */
  noisy: boolean;
}

export interface PeakFraction extends Group {
  framework: string;
  precision: string;
  achieved: number;
  peak: number;
  /** The peak is the CPU's, recorded with the result (cpu cells), not the target's declared one. */
  recorded: boolean;
  /** The peak is an upper bound (see ratios.ts Peak); an estimated CPU peak is not. */
  ceiling: boolean;
  basis: string;
  fraction: number;
  noisy: boolean;
}

export interface RelativeSpeed extends Group {
  framework: string;
  seconds: number;
  relative: number;
  noisy: boolean;
}

export interface Excluded {
  row: Measured;
  reason: string;
}

export interface BenchmarkFindings {
  benchmark: string;
  /** Results that count; zero means nothing to report yet. */
  measured: number;
  /** Current results left out of the comparisons: those that fail training parity. */
  excluded: Excluded[];
  fastest: Fastest[];
  spreads: Spread[];
  speedups: Speedup[];
  peaks: PeakFraction[];
}

/** The ok, current results of a benchmark. */
export function measuredRows(report: Report, benchmark: string): Measured[] {
  const dataset = datasetOf(report, benchmark);
  if (!dataset) return [];
  return shownRows(dataset).filter((row): row is Measured => isCurrent(row, dataset));
}

/** The current results that fail training parity, with why: no comparison uses them. */
export function excludedRows(report: Report, benchmark: string): Excluded[] {
  return measuredRows(report, benchmark).flatMap((row) => {
    const reason = parityFailure(report, row);
    return reason ? [{ row, reason }] : [];
  });
}

const groupOf = (row: Measured): Group => ({ target: row.target, profile: row.profile, machine: machineKey(row), mode: row.mode });
const groupKey = (group: Group) => `${group.target}\u0000${group.profile}\u0000${group.machine}\u0000${group.mode}`;

/**
 * Results grouped by target, profile, machine and mode, fastest first; groups in declaration order
 * of the targets, then by machine (machine A, B, ...), fp32 before fast. `comparable`: without the
 * results that fail training parity, as every comparison takes them.
 */
export function groups(report: Report, benchmark: string, { comparable = false } = {}): { group: Group; rows: Measured[] }[] {
  const byGroup = new Map<string, { group: Group; rows: Measured[] }>();
  const left = comparable ? excludedRows(report, benchmark).map((e) => e.row) : [];
  for (const row of measuredRows(report, benchmark).filter((r) => !left.includes(r))) {
    const group = groupOf(row);
    const entry = byGroup.get(groupKey(group)) ?? { group, rows: [] };
    entry.rows.push(row);
    byGroup.set(groupKey(group), entry);
  }
  const frameworkOrder = byDeclaration(report.frameworks);
  const targetOrder = byDeclaration(report.targets);
  const machineOrder = byMachine(machineLabels(report));
  const modes = benchmarkOf(report, benchmark)?.modes ?? ['fp32', 'fast'];
  for (const entry of byGroup.values()) {
    entry.rows.sort((a, b) => a.result.metric.median - b.result.metric.median || frameworkOrder(a.framework, b.framework));
  }
  return [...byGroup.values()].sort(
    (a, b) =>
      targetOrder(a.group.target, b.group.target) ||
      a.group.profile.localeCompare(b.group.profile) ||
      machineOrder(a.group.machine, b.group.machine) ||
      modes.indexOf(a.group.mode) - modes.indexOf(b.group.mode),
  );
}

const timed = (row: Measured): Timed => ({ framework: row.framework, seconds: row.result.metric.median, noisy: isNoisy(row) });

export function fastest(report: Report, benchmark: string): Fastest[] {
  return groups(report, benchmark, { comparable: true }).map(({ group, rows }) => ({
    ...group,
    winner: timed(rows[0]),
    runnerUp: rows[1] ? timed(rows[1]) : null,
    margin: rows[1] ? speedup(rows[1].result.metric.median, rows[0].result.metric.median) : null,
    count: rows.length,
  }));
}

export function spreads(report: Report, benchmark: string): Spread[] {
  return groups(report, benchmark, { comparable: true }).flatMap(({ group, rows }) => {
    const ratio = spreadRatio(rows.map((row) => row.result.metric.median));
    return ratio === null ? [] : [{ ...group, fastest: timed(rows[0]), slowest: timed(rows.at(-1)!), ratio, count: rows.length }];
  });
}

export function relativeSpeeds(report: Report, benchmark: string): RelativeSpeed[] {
  return groups(report, benchmark, { comparable: true }).flatMap(({ group, rows }) =>
    rows.map((row) => ({
      ...group,
      framework: row.framework,
      seconds: row.result.metric.median,
      relative: relativeSpeed(row.result.metric.median, rows[0].result.metric.median),
      noisy: isNoisy(row),
    })),
  );
}

/** fp32 time over fast time, for every framework and target measured in both modes on one machine. */
export function fastSpeedups(report: Report, benchmark: string): Speedup[] {
  const left = excludedRows(report, benchmark).map((e) => e.row);
  const rows = measuredRows(report, benchmark).filter((row) => !left.includes(row));
  const frameworkOrder = byDeclaration(report.frameworks);
  const targetOrder = byDeclaration(report.targets);
  return rows
    .filter((row) => row.mode === 'fp32')
    .flatMap((fp32) => {
      const fast = rows.find((row) => row.mode === 'fast' && row.framework === fp32.framework && row.target === fp32.target && row.profile === fp32.profile);
      if (!fast || !sameMachine([fp32, fast])) return [];
      const [a, b] = [fp32.result.metric.median, fast.result.metric.median];
      const pair = { framework: fp32.framework, target: fp32.target, profile: fp32.profile, machine: machineKey(fp32) };
      return [{ ...pair, fp32: a, fast: b, speedup: speedup(a, b), noisy: isNoisy(fp32) || isNoisy(fast) }];
    })
    .sort((a, b) => targetOrder(a.target, b.target) || b.speedup - a.speedup || frameworkOrder(a.framework, b.framework));
}

/** Achieved FLOP/s over the peak (the target's, or on the cpu target the one recorded with each
 * result), where both the FLOP count and the peak are known. */
export function peakFractions(report: Report, benchmark: string): PeakFraction[] {
  const spec = benchmarkOf(report, benchmark);
  if (!spec) return [];
  return groups(report, benchmark, { comparable: true }).flatMap(({ group, rows }) => {
    const target = targetOf(report, group.target);
    if (!target) return [];
    return rows.flatMap((row) => {
      const peak = fractionOfPeak(row.result.throughput.median, spec, target, row.mode, row.result);
      return peak ? [{ ...group, framework: row.framework, ...peak, noisy: isNoisy(row) }] : [];
    });
  });
}

export function benchmarkFindings(report: Report, benchmark: string): BenchmarkFindings {
  return {
    benchmark,
    measured: measuredRows(report, benchmark).length,
    excluded: excludedRows(report, benchmark),
    fastest: fastest(report, benchmark),
    spreads: spreads(report, benchmark),
    speedups: fastSpeedups(report, benchmark),
    peaks: peakFractions(report, benchmark),
  };
}

export function findings(report: Report): BenchmarkFindings[] {
  return report.benchmarks.map((benchmark) => benchmarkFindings(report, benchmark.id));
}

export interface Headline {
  /** The largest spread between frameworks in any group. */
  largestSpread: Spread | null;
  /** The smallest and largest fast-mode speed-ups. */
  speedupRange: { lowest: Speedup; highest: Speedup } | null;
  /** The highest fraction of peak reached. */
  bestPeak: PeakFraction | null;
}

/** The one-line-each summary of a benchmark's findings. */
export function headline(found: BenchmarkFindings): Headline {
  const pick = <T>(items: T[], better: (a: T, b: T) => boolean): T | null => items.reduce<T | null>((best, item) => (best === null || better(item, best) ? item : best), null);
  const lowest = pick(found.speedups, (a, b) => a.speedup < b.speedup);
  const highest = pick(found.speedups, (a, b) => a.speedup > b.speedup);
  return {
    largestSpread: pick(found.spreads, (a, b) => a.ratio > b.ratio),
    speedupRange: lowest && highest ? { lowest, highest } : null,
    bestPeak: pick(found.peaks, (a, b) => a.fraction > b.fraction),
  };
}

/** How many shown cells have each status, over all benchmarks (stale detection included). */
export function statusCounts(report: Report): { total: number; counts: Partial<Record<CellStatus, number>> } {
  const counts: Partial<Record<CellStatus, number>> = {};
  let total = 0;
  for (const dataset of report.datasets) {
    for (const row of shownRows(dataset)) {
      const status = shownStatus(row, dataset);
      counts[status] = (counts[status] ?? 0) + 1;
      total += 1;
    }
  }
  return { total, counts };
}
