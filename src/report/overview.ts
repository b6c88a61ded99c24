// The top of the article: what was measured, when, on which machines, at which profile and on which
// data, and how many GPU cells are measured, as one dated headline; and the data of the one chart
// under it (throughput per benchmark, fastest first). Computed from the current results only.
import { measuredRows } from './findings.ts';
import type { Measured } from './findings.ts';
import { formatCount, formatDateRange } from './format.ts';
import { byMachine, describeMachine, machineKey, machineLabel, machineLabels } from './machines.ts';
import { frameworkName, shownRows, targetOf } from './model.ts';
import type { Report } from './model.ts';
import { cellFlags, flagWords } from './quality.ts';
import { isCurrent } from './stale.ts';

export interface Overview {
  /** "2026-11-20", or "2026-11-20 to 2026-11-24"; null when nothing is measured. */
  dates: string | null;
  results: number;
  benchmarks: number;
  frameworks: number;
  /** "machine A: Fixture CPU @ 2.20GHz, 2 cores, ...", one per machine that measured a current result. */
  machines: string[];
  /** The profiles of the current results, with how many each: [["cpu", 24]]. */
  profiles: [string, number][];
  /** How many current results trained or ran on the stand-in data, and on the real data. */
  standIn: number;
  real: number;
  gpu: { measured: number; cells: number };
}

function allMeasured(report: Report): Measured[] {
  return report.benchmarks.flatMap((benchmark) => measuredRows(report, benchmark.id));
}

export function overview(report: Report): Overview {
  const rows = allMeasured(report);
  const labels = machineLabels(report);
  const times = rows.flatMap((row) => (row.finished_at ? [row.finished_at] : [])).sort();
  const machines = [...new Map(rows.map((row) => [machineKey(row), row.result.machine])).entries()].sort(([a], [b]) => byMachine(labels)(a, b)).map(([key, machine]) =>
    machine ? `${machineLabel(labels, key)}: ${describeMachine(machine)}` : machineLabel(labels, key),
  );
  const profiles = new Map<string, number>();
  for (const row of rows) profiles.set(row.profile, (profiles.get(row.profile) ?? 0) + 1);
  const isGpu = (target: string) => targetOf(report, target)?.hardware.kind === 'gpu';
  const gpuRows = report.datasets.flatMap((dataset) => shownRows(dataset).filter((row) => isGpu(row.target)).map((row) => ({ row, dataset })));
  return {
    dates: times.length ? formatDateRange(times[0], times.at(-1)!) : null,
    results: rows.length,
    benchmarks: new Set(rows.map((row) => row.benchmark)).size,
    frameworks: new Set(rows.map((row) => row.framework)).size,
    machines,
    profiles: [...profiles.entries()],
    standIn: rows.filter((row) => row.result.data.synthetic).length,
    real: rows.filter((row) => !row.result.data.synthetic).length,
    gpu: { measured: gpuRows.filter(({ row, dataset }) => isCurrent(row, dataset)).length, cells: gpuRows.length },
  };
}

const PROFILE_WORDS: Record<string, string> = {
  cpu: "the cpu profile (the 2017 study's workloads scaled down for a 2-core machine)",
  full: "the full profile (the 2017 study's workloads)",
};

const plural = (count: number, one: string, many = `${one}s`) => `${formatCount(count)} ${count === 1 ? one : many}`;

/** The headline in words, one sentence per fact. */
export function headlineText(found: Overview): string[] {
  if (found.results === 0 || found.dates === null) return ['Nothing is measured yet: every cell of the matrix is waiting for its first run.'];
  const profiles = found.profiles.map(([profile, count]) => `${found.profiles.length === 1 ? 'At' : `${formatCount(count)} at`} ${PROFILE_WORDS[profile] ?? `the ${profile} profile`}`);
  const data =
    found.real === 0
      ? 'all on stand-in data (synthetic, generated from the seed: accuracies show that a network learns, not how well)'
      : found.standIn === 0
        ? 'all on the real datasets'
        : `${formatCount(found.real)} on the real datasets and ${formatCount(found.standIn)} on stand-in data (synthetic, generated from the seed)`;
  return [
    `Measured ${found.dates}: ${plural(found.results, 'current result')} of ${plural(found.benchmarks, 'benchmark')} and ${plural(found.frameworks, 'framework')}, on ${found.machines.length === 1 ? `one machine, ${found.machines[0]}` : `${plural(found.machines.length, 'machine')}: ${found.machines.join('; ')}`}.`,
    `${profiles.join(' and ')}, ${data}.`,
    `GPUs: ${formatCount(found.gpu.measured)} of ${plural(found.gpu.cells, 'GPU cell')} measured${found.gpu.measured === 0 ? ' so far' : ''}.`,
  ];
}

export interface ThroughputPoint {
  benchmark: string;
  framework: string;
  mode: string;
  throughput: number;
  unit: string;
  /** The result's flags in words ("fails parity, noisy"); empty when it has none. */
  flag: string;
}

/**
 * The best throughput of each framework per benchmark and mode, on the first target (in declaration
 * order) with current results and, there, its first machine: one machine per benchmark, so bars in
 * a panel always compare like with like.
 */
export function throughputPoints(report: Report): { benchmark: string; target: string; machine: string; points: ThroughputPoint[] }[] {
  const labels = machineLabels(report);
  return report.benchmarks.flatMap((benchmark) => {
    const rows = measuredRows(report, benchmark.id);
    const target = report.targets.find((t) => rows.some((row) => row.target === t.id));
    if (!target) return [];
    const here = rows.filter((row) => row.target === target.id);
    const machine = [...new Set(here.map(machineKey))].sort((a, b) => machineLabel(labels, a).localeCompare(machineLabel(labels, b)))[0];
    const points = here
      .filter((row) => machineKey(row) === machine)
      .map((row) => ({
        benchmark: benchmark.title,
        framework: frameworkName(report, row.framework),
        mode: row.mode,
        throughput: row.result.throughput.median,
        unit: row.result.throughput.unit,
        flag: flagWords(cellFlags(report, row)),
      }))
      .sort((a, b) => b.throughput - a.throughput);
    return [{ benchmark: benchmark.id, target: target.label, machine: machineLabel(labels, machine), points }];
  });
}
