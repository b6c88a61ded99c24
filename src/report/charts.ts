// The vega-lite specs of each benchmark's charts, with their titles and text alternatives. Built
// from the findings; rendered to static SVG at build time by chart-svg.ts. A chart with nothing to
// show says why instead. One panel per target, profile and machine (the findings' groups), so bars
// of different machines never share a panel; noisy results are faded and say "(noisy)" in words.
import type { TopLevelSpec } from 'vega-lite';
import { groups, peakFractions, relativeSpeeds } from './findings.ts';
import type { Group, Measured } from './findings.ts';
import { formatChecksum, formatNumber, formatPercent, formatWithUnit } from './format.ts';
import { machineKey, machineLabel, machineLabels } from './machines.ts';
import { benchmarkOf, frameworkName, targetLabel } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { checksumDeviation, median } from './ratios.ts';

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
    labelLimit: 220,
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
  [field: string]: string | number | boolean;
}

// Noisy timings are drawn faded and named "(noisy)" in the text alternative. The parity chart does
// not fade them: noise is about time, not about what a network learned.
const NOISY_OPACITY = { condition: { test: 'datum.noisy', value: 0.35 }, value: 1 };
const NOISY_WORDS = 'Faded marks are noisy results (see the table notes).';

/** "CPU (build machine) · cpu profile · machine A" */
function panelLabel(report: Report, group: Pick<Group, 'target' | 'profile' | 'machine'>): string {
  return `${targetLabel(report, group.target)} · ${group.profile} profile · ${machineLabel(machineLabels(report), group.machine)}`;
}

const noted = (value: string, noisy: boolean) => (noisy ? `${value} (noisy)` : value);

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
  return { panel: panelLabel(report, { ...row, machine: machineKey(row) }), framework: frameworkName(report, row.framework), mode: row.mode, noisy: isNoisy(row) };
}

export function timeChart(report: Report, benchmark: string): Chart {
  const spec = benchmarkOf(report, benchmark);
  const label = spec?.metric.label ?? 'time';
  const unit = spec?.metric.unit ?? 's';
  const all = groups(report, benchmark);
  const title = `${label[0].toUpperCase()}${label.slice(1)} by framework, per target (median, bars show min–max)`;
  const description = `Horizontal bars of the median ${label} of each framework, one panel per target, profile and machine, coloured by mode; lower is faster. ${NOISY_WORDS} ${summary(
    report,
    all.map(({ group, rows }) => ({ group, items: rows.map((row) => [frameworkName(report, row.framework), noted(formatWithUnit(row.result.metric.median, unit), isNoisy(row))]) })),
  )}`;
  if (all.length === 0) return { id: 'time', title, description, spec: null, empty: 'No current results to chart yet.' };
  const points = all.flatMap(({ rows }) =>
    rows.map((row) => ({ ...pointOf(report, row), median: row.result.metric.median, min: row.result.metric.min, max: row.result.metric.max })),
  );
  const x = { type: 'quantitative', title: `${label} (${unit}), median`, axis: { tickCount: 5 } };
  const layer = [
    { mark: { type: 'bar', height: { band: 0.85 } }, encoding: { x: { ...x, field: 'median' }, opacity: NOISY_OPACITY } },
    { mark: { type: 'rule', color: 'currentColor', opacity: 0.7 }, encoding: { x: { ...x, field: 'min' }, x2: { field: 'max' }, color: { value: 'currentColor' } } },
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
      .map((s): [string, string] => [frameworkName(report, s.framework), noted(formatNumber(s.relative), s.noisy)]),
  }));
  const description = `Horizontal bars of each framework's speed as a fraction of the fastest framework's speed on the same target, profile, machine and mode; 1 is the fastest. Results of different machines are not compared. ${NOISY_WORDS} ${summary(report, byGroup)}`;
  if (speeds.length === 0) return { id: 'relative', title, description, spec: null, empty: 'No current results to compare yet.' };
  const points = speeds.map((s) => ({ panel: panelLabel(report, s), framework: frameworkName(report, s.framework), mode: s.mode, noisy: s.noisy, relative: s.relative }));
  const layer = [
    {
      mark: { type: 'bar', height: { band: 0.85 } },
      encoding: {
        x: { field: 'relative', type: 'quantitative', title: 'speed relative to the fastest', scale: { domain: [0, 1] }, axis: { format: '.1f', tickCount: 5 } },
        opacity: NOISY_OPACITY,
      },
    },
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
      references.set(profile, median(fp32.filter((value): value is number => value !== null)));
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
  const title = 'Test accuracy by framework (parity: the same network should learn the same)';
  const points = all.flatMap(({ rows }) => rows.flatMap((row) => (row.result.accuracy === null ? [] : [{ ...pointOf(report, row), accuracy: row.result.accuracy }])));
  const description = `Dots at each framework's test accuracy after training, one panel per target and profile, coloured by mode. ${summary(
    report,
    all.map(({ group, rows }) => ({ group, items: rows.filter((row) => row.result.accuracy !== null).map((row) => [frameworkName(report, row.framework), formatPercent(row.result.accuracy!)]) })),
  )}`;
  if (points.length === 0) return { id: 'parity', title, description, spec: null, empty: 'No accuracies to compare yet.' };
  const layer = [
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: { x: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false, padding: 12 }, axis: { format: '.1%', tickCount: 4 } } },
    },
  ];
  return { id: 'parity', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function peakChart(report: Report, benchmark: string): Chart {
  const spec = benchmarkOf(report, benchmark);
  const peaks = peakFractions(report, benchmark);
  const title = "Fraction of the target's peak FLOP/s (fp32 peak for fp32, bf16 peak for fast)";
  const byGroup = groups(report, benchmark).map(({ group }) => ({
    group,
    items: peaks
      .filter((p) => p.target === group.target && p.profile === group.profile && p.machine === group.machine && p.mode === group.mode)
      .map((p): [string, string] => [frameworkName(report, p.framework), noted(formatPercent(p.fraction), p.noisy)]),
  }));
  const description = `Horizontal bars of the achieved FLOP/s (throughput times the benchmark's FLOP per item) over the target's declared dense peak for the mode's precision. ${NOISY_WORDS} ${summary(report, byGroup)}`;
  if (spec?.flop_per_item === null) {
    return { id: 'peak', title, description, spec: null, empty: 'The specification gives no FLOP count for this benchmark, so there is no fraction of peak.' };
  }
  if (peaks.length === 0) {
    return { id: 'peak', title, description, spec: null, empty: 'No current results on a target that declares its peak FLOP/s (the CPU target does not).' };
  }
  const points = peaks.map((p) => ({ panel: panelLabel(report, p), framework: frameworkName(report, p.framework), mode: p.mode, noisy: p.noisy, fraction: p.fraction }));
  const layer = [
    {
      mark: { type: 'bar', height: { band: 0.85 } },
      encoding: { x: { field: 'fraction', type: 'quantitative', title: 'fraction of peak FLOP/s', axis: { format: '.0%', tickCount: 5 } }, opacity: NOISY_OPACITY },
    },
  ];
  return { id: 'peak', title, description, spec: facetedChart(report, benchmark, points, layer, description), empty: null };
}

export function benchmarkCharts(report: Report, benchmark: string): Chart[] {
  return [timeChart(report, benchmark), relativeSpeedChart(report, benchmark), parityChart(report, benchmark), peakChart(report, benchmark)];
}
