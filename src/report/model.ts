// The report's input as plain data (what src/report/collections.ts reads from the content
// collections) and the lookups every derivation shares.
import type { Benchmark, Dataset, DatasetRow, Framework, Mode, Profile, Target } from '../pipeline/schemas.ts';

export interface Report {
  benchmarks: Benchmark[];
  frameworks: Framework[];
  targets: Target[];
  /** One per benchmark that has a results file; a benchmark without one has no results yet. */
  datasets: Dataset[];
}

export function datasetOf(report: Report, benchmark: string): Dataset | undefined {
  return report.datasets.find((dataset) => dataset.benchmark === benchmark);
}

/** The rows the report shows: the smoke profile is for tests only. */
export function shownRows(dataset: Dataset | undefined): DatasetRow[] {
  return (dataset?.rows ?? []).filter((row) => row.profile !== 'smoke');
}

export function frameworkName(report: Report, id: string): string {
  return report.frameworks.find((framework) => framework.id === id)?.name ?? id;
}

export function targetOf(report: Report, id: string): Target | undefined {
  return report.targets.find((target) => target.id === id);
}

export function targetLabel(report: Report, id: string): string {
  return targetOf(report, id)?.label ?? id;
}

export function benchmarkOf(report: Report, id: string): Benchmark | undefined {
  return report.benchmarks.find((benchmark) => benchmark.id === id);
}

/** Orders ids as their records are declared; undeclared ids go last, alphabetically. */
export function byDeclaration(declared: { id: string }[]): (a: string, b: string) => number {
  const rank = (id: string) => {
    const index = declared.findIndex((record) => record.id === id);
    return index === -1 ? declared.length : index;
  };
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

/** Framework ids in the order the report lists them: declared frameworks first. */
export function frameworkIds(report: Report, rows: DatasetRow[]): string[] {
  return [...new Set(rows.map((row) => row.framework))].sort(byDeclaration(report.frameworks));
}

export interface Address {
  benchmark: string;
  framework: string;
  target: string;
  mode: Mode;
  /** Absent: the profile the dataset has for that target (there is one outside smoke tests). */
  profile?: Profile;
}

/**
 * Parses a cell address as notes write it: the pipeline's cell id with the profile optional,
 * "benchmark/framework/target/mode[/profile]". Null when the text is not one.
 */
export function parseAddress(text: string): Address | null {
  const parts = text.trim().split('/');
  if (parts.length < 4 || parts.length > 5 || parts.some((part) => !part)) return null;
  const [benchmark, framework, target, mode, profile] = parts;
  if (mode !== 'fp32' && mode !== 'fast') return null;
  if (profile !== undefined && profile !== 'full' && profile !== 'cpu' && profile !== 'smoke') return null;
  return { benchmark, framework, target, mode, ...(profile ? { profile } : {}) };
}

export function findRow(report: Report, address: Address): DatasetRow | undefined {
  const rows = address.profile === 'smoke' ? (datasetOf(report, address.benchmark)?.rows ?? []) : shownRows(datasetOf(report, address.benchmark));
  return rows.find(
    (row) =>
      row.framework === address.framework &&
      row.target === address.target &&
      row.mode === address.mode &&
      (address.profile === undefined || row.profile === address.profile),
  );
}
