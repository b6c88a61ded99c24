// The vega-lite specs of each benchmark's charts, with their titles and text alternatives. Built
// from the findings; rendered to static SVG at build time by chart-svg.ts. A chart with nothing to
// show says why instead. One panel per target, profile and machine (the findings' groups), so bars
// of different machines never share a panel; a result that is noisy or fails training parity
// (quality.ts) is faded and its flag is written beside its mark and in the text alternative. The
// charts that compare frameworks (relative speed, fraction of peak) leave parity failures out, and
// say so.
// A cell's page has one more: its history, each machine in its own colour and shape.
import type { TopLevelSpec } from 'vega-lite';
import { excludedRows, groups, peakFractions, relativeSpeeds } from './findings.ts';
import type { Group, Measured } from './findings.ts';
import { formatChecksum, formatNumber, formatPercent, formatTime, formatWithUnit } from './format.ts';
import { cellHistory, chartedLines, HISTORY_CHART_MIN_POINTS, historyValue } from './history.ts';
import type { HistoryLine } from './history.ts';
import { machineKey, machineLabel, machineLabels } from './machines.ts';
import { benchmarkOf, frameworkName, targetLabel } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { throughputPoints } from './overview.ts';
import { formatMeanAccuracy, seedSpread } from './parity.ts';
import { cellFlags, flagWords } from './quality.ts';
import { medianOrNull } from '../pipeline/stats.ts';
import { checksumDeviation } from './ratios.ts';
import type { DatasetRow } from '../pipeline/schemas.ts';

export interface Chart {
  id: string;
  title: string;
  /** The text alternative: what the chart shows, in sentences. */
  description: string;
  /** Null when there is nothing to draw; `empty` says why. */
  spec: TopLevelSpec | null;
  empty: string | null;
}

export const MODE_COLORS = { fp32: '#4c78a8', fast: '#e45756' };
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const PLOT_WIDTH = 240;

// Text and lines take the page's text colour (currentColor), so light and dark modes both read.
const CONFIG = {
  background: 'transparent',
  font: FONT,
  view: { stroke: null },
  axis: {
    labelColor: 'currentColor',
    titleColor: 'currentColor',
    domainColor: 'currentColor',
    tickColor: 'currentColor',
    gridColor: 'currentColor',
    gridOpacity: 0.15,
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    labelLimit: 0,
  },
  header: {
    labelColor: 'currentColor',
    labelFontSize: 12,
    labelFontWeight: 'bold',
    labelOrient: 'top',
    labelAnchor: 'start',
    labelAngle: 0,
    labelPadding: 6,
  },
  legend: { labelColor: 'currentColor', titleColor: 'currentColor', labelFontSize: 12, orient: 'top', title: null },
  facet: { spacing: 18 },
} as const;

interface Point {
  panel: string;
  framework: string;
  mode: string;
  noisy: boolean;
  /** The flags' words written beside the mark ("fails parity, noisy"); empty when it has none. */
  flag: string;
  [field: string]: string | number | boolean;
}

// Flagged timings are drawn faded, with their flag in words beside them and in the text
// alternative. The parity chart fades only parity failures: noise is about time, not about what a
// network learned.
const NOISY_OPACITY = { condition: { test: "datum.flag != ''", value: 0.35 }, value: 1 };
const NOISY_WORDS = 'Faded marks are flagged results, their flag written beside them: "noisy" (the machine or the repeats moved) or "fails parity" (it did not learn what the others learned); see the table notes.';
/** The flag of a point in words, beside its mark: `x` is the field the mark ends at. */
const flagText = (x: string) => ({
  mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: 'currentColor' },
  encoding: { x: { field: x, type: 'quantitative' }, text: { field: 'flag' }, color: { value: 'currentColor' } },
});

/** "CPU (build machine) · cpu profile · machine A" */
function panelLabel(report: Report, group: Pick<Group, 'target' | 'profile' | 'machine'>): string {
  return `${targetLabel(report, group.target)} · ${group.profile} profile · ${machineLabel(machineLabels(report), group.machine)}`;
}

const noted = (value: string, flag: string) => (flag ? `${value} (${flag})` : value);

function facetedChart(report: Report, benchmark: string, points: Point[], layer: object[], description: string): TopLevelSpec {
  const modes = benchmarkOf(report, benchmark)?.modes ?? ['fp32', 'fast'];
  const frameworks = report.frameworks.map((framework) => framework.name);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description,
    config: CONFIG,
    data: { values: points },
    facet: { row: { field: 'panel', type: 'nominal', sort: [...new Set(points.map((p) => p.panel))], header: { title: null } } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: PLOT_WIDTH,
      height: { step: 12 },
      encoding: {
        y: { field: 'framework', type: 'nominal', sort: frameworks, title: null },
        yOffset: { field: 'mode', type: 'nominal', sort: modes },
        color: { field: 'mode', type: 'nominal', scale: { domain: modes, range: modes.map((mode) => MODE_COLORS[mode]) } },
      },
      layer,
    },
  } as TopLevelSpec;
}

/** One sentence per panel: "CPU · cpu profile · machine A, fp32: PyTorch 20 s, JAX 25 s (noisy)." */
function summary(report: Report, rows: { group: Group; items: [string, string][] }[]): string {
  return rows
    .filter(({ items }) => items.length)
    .map(({ group, items }) => `${panelLabel(report, group)}, ${group.mode}: ${items.map(([name, value]) => `${name} ${value}`).join(', ')}.`)
    .join(' ');
}

function pointOf(report: Report, row: Measured): Point {
  return {
    panel: panelLabel(report, { ...row, machine: machineKey(row) }),
    framework: frameworkName(report, row.framework),
    mode: row.mode,
    noisy: isNoisy(row),
    flag: flagWords(cellFlags(report, row)),
  };
}

/** " Left out, as they fail training parity: TensorFlow 2 (CPU, fast)." for the charts that compare; empty when none is. */
function leftOut(report: Report, benchmark: string): string {
  const rows = excludedRows(report, benchmark).map(({ row }) => `${frameworkName(report, row.framework)} (${targetLabel(report, row.target)}, ${row.mode})`);
  return rows.length ? ` Left out, as they fail training parity: ${rows.join(', ')}.` : '';
}

export function timeChart(report: Report, benchmark: string): Chart {
  const spec = benchmarkOf(report, benchmark);
  const label = spec?.metric.label ?? 'time';
  const unit = spec?.metric.unit ?? 's';
  const all = groups(report, benchmark);
  const title = `${label[0].toUpperCase()}${label.slice(1)} by framework, per target (median, bars show min–max)`;
  const description = `Horizontal bars of the median ${label} of each framework, one panel per target, profile and machine, coloured by mode; lower is faster. ${NOISY_WORDS} ${summary(
    report,
    all.map(({ group, rows }) => ({ group, items: rows.map((row) => [frameworkName(report, row.framework), noted(formatWithUnit(row.result.metric.median, unit), flagWords(cellFlags(report, row)))]) })),
  )}`;
  if (all.length === 0) return { id: 'time', title, description, spec: null, empty: 'No current results to chart yet.' };
  const points = all.flatMap(({ rows }) =>
    rows.map((row) => ({ ...pointOf(report, row), median: row.result.metric.median, min: row.result.metric.min, max: row.result.metric.max })),
  );
  const x = { type: 'quantitative', title: `${label} (${unit}), median`, axis: { tickCount: 5 } };
  const layer = [
    { mark: { type: 'bar', height: { band: 0.85 } }, encoding: { x: { ...x, field: 'median' }, opacity: NOISY_OPACITY } },
    { mark: { type: 'rule', color: 'currentColor', opacity: 0.7 }, encoding: { x: { ...x, field: 'min' }, x2: { field: 'max' }, color: { value: 'currentColor' } } },
    flagText('max'),
  ];
  return { id: 'time', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function relativeSpeedChart(report: Report, benchmark: string): Chart {
  const speeds = relativeSpeeds(report, benchmark);
  const title = 'Speed relative to the fastest framework on the same machine (1 = fastest)';
  const byGroup = groups(report, benchmark).map(({ group }) => ({
    group,
    items: speeds
      .filter((s) => s.target === group.target && s.profile === group.profile && s.machine === group.machine && s.mode === group.mode)
      .map((s): [string, string] => [frameworkName(report, s.framework), noted(formatNumber(s.relative), s.noisy ? 'noisy' : '')]),
  }));
  const description = `Horizontal bars of each framework's speed as a fraction of the fastest framework's speed on the same target, profile, machine and mode; 1 is the fastest. Results of different machines are not compared.${leftOut(report, benchmark)} ${NOISY_WORDS} ${summary(report, byGroup)}`;
  if (speeds.length === 0) return { id: 'relative', title, description, spec: null, empty: 'No current results to compare yet.' };
  const points = speeds.map((s) => ({ panel: panelLabel(report, s), framework: frameworkName(report, s.framework), mode: s.mode, noisy: s.noisy, flag: s.noisy ? 'noisy' : '', relative: s.relative }));
  const layer = [
    {
      mark: { type: 'bar', height: { band: 0.85 } },
      encoding: {
        x: { field: 'relative', type: 'quantitative', title: 'speed relative to the fastest', scale: { domain: [0, 1.3] }, axis: { format: '.1f', values: [0, 0.25, 0.5, 0.75, 1] } },
        opacity: NOISY_OPACITY,
      },
    },
    flagText('relative'),
  ];
  return { id: 'relative', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function parityChart(report: Report, benchmark: string): Chart {
  const spec = benchmarkOf(report, benchmark);
  const all = groups(report, benchmark);
  if (spec?.kind === 'inference') {
    const title = 'Feature checksum: relative difference from the median fp32 checksum';
    const references = new Map<string, number | null>();
    for (const profile of new Set(all.map(({ group }) => group.profile))) {
      const fp32 = all.filter(({ group }) => group.profile === profile && group.mode === 'fp32').flatMap(({ rows }) => rows.map((row) => row.result.checksum));
      references.set(profile, medianOrNull(fp32.filter((value): value is number => value !== null)));
    }
    const points = all.flatMap(({ group, rows }) =>
      rows.flatMap((row) => {
        const reference = references.get(group.profile);
        if (row.result.checksum === null || reference === null || reference === undefined) return [];
        return [{ ...pointOf(report, row), deviation: checksumDeviation(row.result.checksum, reference), checksum: row.result.checksum }];
      }),
    );
    const description = `Dots at each framework's feature checksum, as a relative difference from the median checksum of the fp32 results of the same profile; 0 is perfect agreement. ${summary(
      report,
      all.map(({ group, rows }) => ({ group, items: rows.filter((row) => row.result.checksum !== null).map((row) => [frameworkName(report, row.framework), formatChecksum(row.result.checksum!)]) })),
    )}`;
    if (points.length === 0) return { id: 'parity', title, description, spec: null, empty: 'No checksums to compare yet.' };
    const layer = [
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { x: { field: 'deviation', type: 'quantitative', title: 'relative difference from the fp32 median', axis: { format: '.0e', tickCount: 4 } } },
      },
    ];
    return { id: 'parity', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
  }
  // Accuracies on the stand-in data say so in the title, on the axis and in the words.
  const standIn = all.some(({ rows }) => rows.some((row) => row.result.accuracy !== null && row.result.data.synthetic));
  const title = `Test accuracy by framework${standIn ? ', on stand-in data' : ''}: mean over the seeds, lines show min–max (parity: the same network should learn the same)`;
  const parityFlag = (row: Measured) => (cellFlags(report, row).some((flag) => flag.kind === 'parity') ? 'fails parity' : '');
  /** The rows with accuracies, each with its spread across seeds. */
  const measured = (rows: Measured[]) =>
    rows.flatMap((row) => {
      const spread = seedSpread(row);
      return spread === null ? [] : [{ row, spread }];
    });
  const points = all.flatMap(({ rows }) =>
    measured(rows).map(({ row, spread }) => ({ ...pointOf(report, row), flag: parityFlag(row), accuracy: spread.mean, min: spread.min, max: spread.max, seeds: spread.seeds })),
  );
  const description = `Dots at each framework's mean test accuracy over its repeats, each trained with its own dropout seed, and a line from its lowest to its highest seed${standIn ? ' (on stand-in data where marked: the synthetic stand-in, not the real dataset)' : ''}, one panel per target and profile, coloured by mode; a faded dot fails training parity; ± is the standard deviation across seeds. ${summary(
    report,
    all.map(({ group, rows }) => ({
      group,
      items: measured(rows).map(({ row, spread }) => [frameworkName(report, row.framework), noted(formatMeanAccuracy(spread, row.result.data.synthetic), parityFlag(row))]),
    })),
  )}`;
  if (points.length === 0) return { id: 'parity', title, description, spec: null, empty: 'No accuracies to compare yet.' };
  const x = { type: 'quantitative', title: standIn ? 'test accuracy (stand-in data)' : 'test accuracy', scale: { zero: false, padding: 12 }, axis: { format: '.1%', tickCount: 4 } };
  const layer = [
    { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { ...x, field: 'min' }, x2: { field: 'max' }, opacity: NOISY_OPACITY } },
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { ...x, field: 'accuracy' }, opacity: NOISY_OPACITY } },
    flagText('max'),
  ];
  return { id: 'parity', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function peakChart(report: Report, benchmark: string): Chart {
  const spec = benchmarkOf(report, benchmark);
  const peaks = peakFractions(report, benchmark);
  const estimated = peaks.some((p) => !p.ceiling);
  const title = `Fraction of peak FLOP/s (GPU: the target's fp32 peak for fp32, bf16 for fast; CPU: its fp32 peak, recorded with each result${estimated ? ', an estimate from the clock the machine reports, which a boosting CPU passes' : ''})`;
  const byGroup = groups(report, benchmark).map(({ group }) => ({
    group,
    items: peaks
      .filter((p) => p.target === group.target && p.profile === group.profile && p.machine === group.machine && p.mode === group.mode)
      .map((p): [string, string] => [frameworkName(report, p.framework), noted(formatPercent(p.fraction), p.noisy ? 'noisy' : '')]),
  }));
  const description = `Horizontal bars of the achieved FLOP/s (throughput times the benchmark's FLOP per item) over the dense peak for the mode's precision: a GPU target's declared peak, or on the CPU the fp32 peak its runner computed from the CPU's vector width, FMA units, cores and clock (fast mode computes in fp32 there).${leftOut(report, benchmark)} ${NOISY_WORDS} ${summary(report, byGroup)}`;
  if (spec?.flop_per_item === null) {
    return { id: 'peak', title, description, spec: null, empty: 'The specification gives no FLOP count for this benchmark, so there is no fraction of peak.' };
  }
  if (peaks.length === 0) {
    return { id: 'peak', title, description, spec: null, empty: 'No current results with a known peak FLOP/s: a target that declares its peak, or a CPU result that recorded its own.' };
  }
  const points = peaks.map((p) => ({ panel: panelLabel(report, p), framework: frameworkName(report, p.framework), mode: p.mode, noisy: p.noisy, flag: p.noisy ? 'noisy' : '', fraction: p.fraction }));
  const layer = [
    {
      mark: { type: 'bar', height: { band: 0.85 } },
      encoding: { x: { field: 'fraction', type: 'quantitative', title: 'fraction of peak FLOP/s', axis: { format: '.0%', tickCount: 5 } }, opacity: NOISY_OPACITY },
    },
    flagText('fraction'),
  ];
  return { id: 'peak', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function benchmarkCharts(report: Report, benchmark: string): Chart[] {
  return [timeChart(report, benchmark), relativeSpeedChart(report, benchmark), parityChart(report, benchmark), peakChart(report, benchmark)];
}

// A cell's history: the reference machine (the current result's) first; each other machine gets its
// own colour and shape, so a point of another machine never reads as a point of the same series.
const HISTORY_COLORS = ['#4c78a8', '#e45756', '#54a24b', '#b279a2', '#9d755d'];
const HISTORY_SHAPES = ['circle', 'diamond', 'triangle-up', 'square', 'cross'];
const DAY_MS = 86_400_000;

/** The series a history line belongs to: its machine, and whether that is the reference one. */
function historySeries(line: HistoryLine, hasCurrent: boolean): string {
  if (line.machineNote) return `${line.machineLabel} (${line.machineNote})`;
  return hasCurrent ? `${line.machineLabel} (this result's machine)` : line.machineLabel;
}

/**
 * The median of each of the cell's results over time, from HISTORY_CHART_MIN_POINTS results on
 * (null below: the history table says it all). The current result is the larger mark; a noisy one
 * is faded, as in the benchmark charts.
 */
export function historyChart(report: Report, row: DatasetRow): Chart | null {
  const lines = chartedLines(cellHistory(report, row));
  if (lines.length < HISTORY_CHART_MIN_POINTS) return null;
  const spec = benchmarkOf(report, row.benchmark);
  const label = spec?.metric.label ?? 'time';
  const unit = lines[0].unit ?? '';
  const hasCurrent = lines.some((line) => line.current);
  const series = [...new Set([...lines].sort((a, b) => Number(a.otherMachine) - Number(b.otherMachine)).map((line) => historySeries(line, hasCurrent)))];
  const others = lines.some((line) => line.otherMachine);
  const points = lines.map((line) => ({ finished: Date.parse(line.finishedAt!), median: line.median!, series: historySeries(line, hasCurrent), current: line.current, noisy: line.noisy }));

  const title = `${label[0].toUpperCase()}${label.slice(1)} of this cell over time (median of each result)`;
  const items = lines.map((line) => {
    const notes = [line.current ? 'this result' : null, line.machineNote, line.noisy ? 'noisy' : null].filter(Boolean);
    return `${formatTime(line.finishedAt!)}, ${historyValue({ ...line, noisy: false })} on ${line.machineLabel}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
  const description =
    `Dots at the median ${label} of each result of this cell, oldest first, joined per machine; the current result is the larger dot. ` +
    (others ? "Results of another machine than this result's (or of a machine not recorded) have their own colour and shape: their times do not compare with this result's. " : '') +
    (lines.some((line) => line.noisy) ? 'A faded dot is a noisy result. ' : '') +
    `${items.join('; ')}.`;

  // One tick per day that has a result, on a domain of whole UTC days: the same labels wherever it is built.
  const days = [...new Set(points.map((point) => Math.floor(point.finished / DAY_MS) * DAY_MS))].sort((a, b) => a - b);
  const x = {
    field: 'finished',
    type: 'temporal',
    title: 'finished (UTC)',
    scale: { type: 'utc', domain: [days[0], days.at(-1)! + DAY_MS] },
    axis: { values: days, format: '%Y-%m-%d', labelOverlap: 'greedy', labelAngle: 0 },
  };
  const y = { field: 'median', type: 'quantitative', title: `${label} (${unit}), median`, scale: { zero: false, padding: 12 }, axis: { tickCount: 4 } };
  const scale = (range: string[]) => ({ domain: series, range: series.map((_, i) => range[i % range.length]) });
  const legend = series.length > 1 ? { direction: 'vertical', labelLimit: 400 } : null;
  return {
    id: 'history',
    title,
    description,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      description,
      config: CONFIG,
      width: PLOT_WIDTH + 80,
      height: 160,
      data: { values: points },
      encoding: { x, y, color: { field: 'series', type: 'nominal', scale: scale(HISTORY_COLORS), legend } },
      layer: [
        { mark: { type: 'line', strokeWidth: 1.5, opacity: 0.6 }, encoding: { detail: { field: 'series', type: 'nominal' } } },
        {
          mark: { type: 'point', filled: true },
          encoding: {
            shape: { field: 'series', type: 'nominal', scale: scale(HISTORY_SHAPES), legend },
            size: { condition: { test: 'datum.current', value: 160 }, value: 60 },
            opacity: NOISY_OPACITY,
          },
        },
      ],
    } as TopLevelSpec,
    empty: null,
  };
}

/**
 * The article's first chart: small multiples of throughput, one panel per benchmark (its first
 * measured target and machine: overview.ts), frameworks fastest first, coloured by mode. Higher is
 * faster; flagged results are faded with their flag beside them.
 */
export function throughputOverviewChart(report: Report): Chart {
  const panels = throughputPoints(report);
  const modes = ['fp32', 'fast'] as const;
  const panelOf = (p: (typeof panels)[number]) => `${report.benchmarks.find((b) => b.id === p.benchmark)?.title ?? p.benchmark} · ${p.points[0]?.unit ?? ''} · ${p.target}, ${p.machine}`;
  const title = 'Throughput per benchmark, fastest framework first (median; higher is faster)';
  const description = `Horizontal bars of each framework's median throughput, one panel per benchmark on the machine that measured it, fastest first, coloured by mode. ${NOISY_WORDS} ${panels
    .map((p) => `${panelOf(p)}: ${p.points.map((point) => `${point.framework} ${point.mode} ${noted(formatNumber(point.throughput), point.flag)}`).join(', ')}.`)
    .join(' ')}`;
  if (panels.length === 0) return { id: 'throughput', title, description, spec: null, empty: 'Nothing is measured yet.' };
  // One chart per benchmark stacked (not a facet: each has its own frameworks, in its own order).
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description,
    config: { ...CONFIG, title: { fontSize: 12, anchor: 'start', color: 'currentColor', offset: 6 }, concat: { spacing: 18 } },
    vconcat: panels.map((panel) => ({
      title: panelOf(panel),
      data: { values: panel.points },
      width: PLOT_WIDTH,
      height: { step: 12 },
      encoding: {
        // The points come fastest first (overview.ts): the chart keeps that order.
        y: { field: 'framework', type: 'nominal', sort: null, title: null },
        yOffset: { field: 'mode', type: 'nominal', sort: modes },
        color: { field: 'mode', type: 'nominal', scale: { domain: modes, range: modes.map((mode) => MODE_COLORS[mode]) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.85 } },
          encoding: { x: { field: 'throughput', type: 'quantitative', title: 'throughput, median', axis: { tickCount: 4 } }, opacity: NOISY_OPACITY },
        },
        flagText('throughput'),
      ],
    })),
  } as TopLevelSpec;
  return { id: 'throughput', title, description, spec, empty: null };
}
