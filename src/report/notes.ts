// The analysis notes' data-bound components (<Metric>, <Ratio>, <Fastest>) and the build-time
// check of what they cite: a note that cites a result that is missing, failed or stale makes the
// build warn, or fail under strict mode (ROSETTA_STRICT=1, set by `npm run build -- --strict`).
// A cited figure says what limits it next to it (citationCaveats): "fails parity", "noisy", and for
// a comparison, "measured on different machines" or "machine not recorded"; an accuracy on the
// stand-in data says "on stand-in data".
import { fastest } from './findings.ts';
import type { Fastest, Measured } from './findings.ts';
import { STATUS_LABELS, formatChecksum, formatPercent, formatRange, formatWithUnit } from './format.ts';
import { machineCaveat, machineLabel, machineLabels } from './machines.ts';
import { datasetOf, findRow, parseAddress } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { FLAG_LABELS, failsParity } from './quality.ts';
import { isCurrent, shownStatus, staleness } from './stale.ts';
import type { DatasetRow } from '../pipeline/schemas.ts';

/** What <Metric show="..."> can print from one result. */
export const METRIC_FIELDS = ['median', 'range', 'throughput', 'accuracy', 'checksum', 'warmup'] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

export type Resolved = { ok: true; row: Measured } | { ok: false; row: DatasetRow | null; problem: string };

/** Finds the result a note cites; when it cannot be used, says why. */
export function resolveCell(report: Report, text: string): Resolved {
  const address = parseAddress(text);
  if (!address) return { ok: false, row: null, problem: `"${text}" is not a cell address (benchmark/framework/target/mode[/profile])` };
  const dataset = datasetOf(report, address.benchmark);
  if (!dataset) return { ok: false, row: null, problem: `there are no results for ${address.benchmark} yet` };
  const row = findRow(report, address);
  if (!row) return { ok: false, row: null, problem: `${text} is not a cell of the ${address.benchmark} dataset` };
  if (isCurrent(row, dataset)) return { ok: true, row };
  const status = shownStatus(row, dataset);
  const why = status === 'stale' ? staleness(row, dataset).reasons.join('; ') : row.reason;
  return { ok: false, row, problem: `${text} is ${STATUS_LABELS[status]}${why ? ` (${why})` : ''}` };
}

export function metricValue(row: Measured, field: MetricField): number | [number, number] | null {
  const { result } = row;
  switch (field) {
    case 'median':
      return result.metric.median;
    case 'range':
      return [result.metric.min, result.metric.max];
    case 'throughput':
      return result.throughput.median;
    case 'accuracy':
      return result.accuracy;
    case 'checksum':
      return result.checksum;
    case 'warmup':
      return result.warmup_s;
  }
}

/**
 * What a cited figure must say next to it. `rows` are the results the figure is taken from; a
 * comparison (a ratio, a fastest) also says when they are not of one recorded machine.
 */
export function citationCaveats(report: Report, rows: Measured[], comparison: boolean): string[] {
  const machine = comparison ? machineCaveat(rows) : null;
  return [
    ...(machine ? [machine] : []),
    ...(rows.some((row) => failsParity(report, row)) ? [FLAG_LABELS.parity] : []),
    ...(rows.some(isNoisy) ? [FLAG_LABELS.noisy] : []),
  ];
}

/** What a <Metric> adds to its number. Noise is about time: an accuracy or a checksum needs none, but an accuracy says its data. */
export function metricCaveats(report: Report, row: Measured, field: MetricField): string[] {
  if (field === 'accuracy') return [...(row.result.data.synthetic ? ['on stand-in data'] : []), ...(failsParity(report, row) ? [FLAG_LABELS.parity] : [])];
  return field === 'checksum' ? [] : citationCaveats(report, [row], false);
}

/** A cited figure with its caveats: "20 s (noisy)", "1.25× (measured on different machines)". */
export function withCaveats(text: string, caveats: string[]): string {
  return caveats.length ? `${text} (${caveats.join(', ')})` : text;
}

/** `shown` is what the page prints in place of a fastest that cannot be named. */
export type FastestResolved = { ok: true; fastest: Fastest; caveats: string[] } | { ok: false; problem: string; shown: string };

/**
 * The fastest framework on a target in a mode. When several machines measured that target, no one
 * fastest exists: a winner across them would compare different machines.
 */
export function resolveFastest(report: Report, benchmark: string, target: string, mode: string): FastestResolved {
  const found = fastest(report, benchmark).filter((group) => group.target === target && group.mode === mode);
  if (found.length === 0) return { ok: false, problem: `${benchmark} has no current result on ${target} in ${mode} mode`, shown: '[no result yet]' };
  if (found.length > 1) {
    const labels = machineLabels(report);
    const machines = found.map((group) => machineLabel(labels, group.machine)).join(', ');
    return {
      ok: false,
      problem: `${benchmark} on ${target} in ${mode} mode was measured on different machines (${machines}): there is no one fastest`,
      shown: '[measured on different machines]',
    };
  }
  const [group] = found;
  // A group is of one machine key, so its winner's row says whether that machine was recorded.
  const winner = findRow(report, { benchmark, framework: group.winner.framework, target, mode: group.mode, profile: group.profile }) as Measured;
  return { ok: true, fastest: group, caveats: citationCaveats(report, [winner], true) };
}

export interface Citation {
  component: string;
  attributes: Record<string, string>;
}

/** The data-bound components an MDX source uses, with their (string) attributes. */
export function citations(source: string): Citation[] {
  const found: Citation[] = [];
  for (const match of source.matchAll(/<(Metric|Ratio|Fastest)\b([^>]*?)\/?>/gs)) {
    const attributes = Object.fromEntries([...match[2].matchAll(/([\w-]+)=(?:"([^"]*)"|'([^']*)')/g)].map((a) => [a[1], a[2] ?? a[3]]));
    found.push({ component: match[1], attributes });
  }
  return found;
}

export interface NoteProblem {
  /** The note's file, e.g. content/article/notes/cnn-cifar10.mdx. */
  where: string;
  citation: string;
  problem: string;
}

function citationText(citation: Citation): string {
  return `<${citation.component} ${Object.entries(citation.attributes)
    .map(([name, value]) => `${name}="${value}"`)
    .join(' ')} />`;
}

/** Every citation of a note that does not resolve to a current result, each problem once. */
export function checkNote(report: Report, file: string, source: string): NoteProblem[] {
  const problems = citations(source).flatMap((citation) => {
    const problem = (text: string) => ({ where: file, citation: citationText(citation), problem: text });
    const { attributes: a } = citation;
    if (citation.component === 'Fastest') {
      const resolved = resolveFastest(report, a.benchmark ?? '', a.target ?? '', a.mode ?? '');
      return resolved.ok ? [] : [problem(resolved.problem)];
    }
    const cells = citation.component === 'Ratio' ? [a.cell, a.over] : [a.cell];
    return cells.flatMap((cell) => {
      if (cell === undefined) return [problem(`${citation.component} needs ${citation.component === 'Ratio' ? 'cell and over' : 'a cell'}`)];
      const resolved = resolveCell(report, cell);
      if (!resolved.ok) return [problem(resolved.problem)];
      const field = (a.show ?? 'median') as MetricField;
      if (citation.component === 'Metric' && !METRIC_FIELDS.includes(field)) return [problem(`show="${a.show}" is not one of ${METRIC_FIELDS.join(', ')}`)];
      if (citation.component === 'Metric' && metricValue(resolved.row, field) === null) return [problem(`${cell} has no ${field}`)];
      return [];
    });
  });
  return [...new Map(problems.map((p) => [`${p.citation}\u0000${p.problem}`, p])).values()];
}

export function describeProblem(problem: NoteProblem): string {
  return `${problem.where}: ${problem.citation} cites a result that cannot be shown: ${problem.problem}`;
}

/** Prints each problem as a warning, or throws them all together under strict mode. */
export function enforceNotes(problems: NoteProblem[], strict: boolean, warn: (message: string) => void = console.warn): void {
  if (problems.length === 0) return;
  const lines = problems.map(describeProblem);
  if (strict) {
    throw new Error(`${problems.length} citation(s) in the analysis notes point at results that are missing, failed or stale (strict mode):\n${lines.join('\n')}`);
  }
  for (const line of lines) warn(`warning: ${line}`);
}

/** A cited value as the sentence shows it: "20 s", "61.3%", "4,120 images/s". */
export function formatMetric(row: Measured, field: MetricField): string | null {
  const value = metricValue(row, field);
  if (value === null) return null;
  const { result } = row;
  if (Array.isArray(value)) return formatRange(value[0], value[1], result.metric.unit);
  switch (field) {
    case 'throughput':
      return formatWithUnit(value, result.throughput.unit);
    case 'accuracy':
      return formatPercent(value);
    case 'checksum':
      return formatChecksum(value);
    case 'warmup':
      return formatWithUnit(value, 's');
    default:
      return formatWithUnit(value, result.metric.unit);
  }
}

export interface ArticleSource {
  /** The file, relative to the project root. */
  file: string;
  source: string;
  /** For an analysis note: the benchmark whose section shows it. */
  benchmark?: string;
}

/** Checks every prose section and note: their citations, and that each note has a section. */
export function checkArticle(report: Report, sources: ArticleSource[]): NoteProblem[] {
  return sources.flatMap(({ file, source, benchmark }) => [
    ...(benchmark !== undefined && !report.benchmarks.some((b) => b.id === benchmark)
      ? [{ where: file, citation: `benchmark: ${benchmark}`, problem: 'there is no such benchmark, so no section shows this note' }]
      : []),
    ...checkNote(report, file, source),
  ]);
}
