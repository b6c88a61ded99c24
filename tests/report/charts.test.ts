import { beforeAll, describe, expect, test } from 'vitest';
import { makeAccessible, prefixIds, renderSvg } from '../../src/report/chart-svg.ts';
import { benchmarkCharts, parityChart, peakChart, relativeSpeedChart, timeChart } from '../../src/report/charts.ts';
import type { Report } from '../../src/report/model.ts';
import { checksumDeviation } from '../../src/report/ratios.ts';
import { fixtureReport, withEnvironment } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const values = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;

describe('chart specs', () => {
  test('every benchmark has the four charts, each with a title and a text alternative', () => {
    for (const benchmark of report.benchmarks) {
      const charts = benchmarkCharts(report, benchmark.id);
      expect(charts.map((c) => c.id)).toEqual(['time', 'relative', 'parity', 'peak']);
      for (const chart of charts) {
        expect(chart.title).toBeTruthy();
        expect(chart.description.length).toBeGreaterThan(40);
        expect(chart.spec === null).toBe(chart.empty !== null);
      }
    }
  });

  test('the time chart plots current results only, one panel per target, profile and machine', () => {
    const chart = timeChart(report, 'cnn-cifar10');
    const points = values(chart.spec);
    expect(points).toHaveLength(14);
    expect(new Set(points.map((p) => p.panel))).toEqual(
      new Set([
        'CPU (build machine) · cpu profile · machine A',
        'CPU (build machine) · cpu profile · machine B',
        'NVIDIA H100 SXM · full profile · machine C',
        'NVIDIA H200 · full profile · machine D',
      ]),
    );
    expect(points.find((p) => p.framework === 'Keras 3 (JAX backend)' && p.mode === 'fp32' && String(p.panel).startsWith('CPU'))?.panel).toBe(
      'CPU (build machine) · cpu profile · machine B',
    );
    expect(chart.description).toContain('NVIDIA H100 SXM · full profile · machine C, fp32: JAX 24 s, PyTorch 30 s, Keras 3 (JAX backend) 36 s.');
  });

  test('relative speeds are against the fastest of the same machine, and the chart says so', () => {
    const chart = relativeSpeedChart(report, 'cnn-cifar10');
    const cpu = values(chart.spec).filter((p) => String(p.panel).startsWith('CPU') && p.mode === 'fp32');
    expect(cpu.map((p) => [p.framework, p.relative, p.panel])).toEqual([
      ['PyTorch', 1, 'CPU (build machine) · cpu profile · machine A'],
      ['JAX', 0.8, 'CPU (build machine) · cpu profile · machine A'],
      ['TensorFlow', 20 / 27, 'CPU (build machine) · cpu profile · machine A'],
      ['Keras 3 (JAX backend)', 1, 'CPU (build machine) · cpu profile · machine B'],
    ]);
    expect(chart.title).toContain('same machine');
    expect(chart.description).toContain('Results of different machines are not compared.');
  });

  test('noisy results are faded in the timing charts, "noisy" written beside them, and named "(noisy)" in their text alternative', () => {
    for (const chart of [timeChart(report, 'cnn-cifar10'), relativeSpeedChart(report, 'cnn-cifar10')]) {
      const noisy = values(chart.spec).filter((p) => p.noisy);
      expect(noisy.map((p) => `${p.framework} ${p.mode} ${p.panel}`)).toEqual(['JAX fast CPU (build machine) · cpu profile · machine A']);
      expect(JSON.stringify(chart.spec)).toContain(`"test":"datum.flag != ''"`);
      expect(noisy.map((p) => p.flag)).toEqual(['noisy']);
    }
    expect(timeChart(report, 'cnn-cifar10').description).toContain('machine A, fast: PyTorch 16 s, JAX 20 s (noisy).');
    expect(relativeSpeedChart(report, 'cnn-cifar10').description).toContain('machine A, fast: PyTorch 1, JAX 0.8 (noisy).');
  });

  test('parity is accuracy for training and the checksum difference from the fp32 median for inference', () => {
    expect(values(parityChart(report, 'gru-imdb').spec)[0]).toHaveProperty('accuracy');
    const deviations = values(parityChart(report, 'resnet50-features').spec).map((p) => p.deviation as number);
    expect(Math.min(...deviations.map(Math.abs))).toBe(0);
    expect(checksumDeviation(1001, 1000)).toBeCloseTo(0.001);
  });

  test("the peak chart has cpu panels once results record their CPU's peak, and GPU panels from the targets' peaks", () => {
    const panels = (r: Report) => new Set(values(peakChart(r, 'cnn-cifar10').spec).map((p) => String(p.panel)));
    expect([...panels(report)].some((panel) => panel.startsWith('CPU'))).toBe(false);
    const recorded = withEnvironment(report, { cpu_peak_flops: { fp32: 100e9, basis: 'fixture', ceiling: false } });
    expect([...panels(recorded)].filter((panel) => panel.startsWith('CPU')).length).toBeGreaterThan(0);
    expect([...panels(recorded)].some((panel) => panel.startsWith('NVIDIA H100'))).toBe(true);
  });

  test('a chart with nothing to show says why instead of drawing an empty frame', () => {
    expect(peakChart(report, 'gru-imdb')).toMatchObject({ spec: null, empty: expect.stringContaining('no FLOP count') });
    expect(timeChart({ ...report, datasets: [] }, 'gru-imdb')).toMatchObject({ spec: null, empty: expect.any(String) });
  });
});

describe('static SVG', () => {
  test('renders with a role, a title and a description, and ids unique to the chart', async () => {
    const chart = timeChart(report, 'gru-imdb');
    const svg = await renderSvg(chart.spec!, { id: 'gru-time', title: chart.title, description: 'A <test> & more' });
    expect(svg).toMatch(/^<svg[^>]* role="img" aria-labelledby="gru-time-title" aria-describedby="gru-time-desc">/);
    expect(svg).toContain('<desc id="gru-time-desc">A &lt;test&gt; &amp; more</desc>');
    expect(svg).toContain('PyTorch');
  });

  test('prefixing ids keeps references consistent', () => {
    expect(prefixIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/>', 'c')).toBe('<clipPath id="c-clip1"/><g clip-path="url(#c-clip1)"/>');
    expect(makeAccessible('<svg width="1"><g/></svg>', 'x', 't', 'd')).toBe(
      '<svg width="1" role="img" aria-labelledby="x-title" aria-describedby="x-desc"><title id="x-title">t</title><desc id="x-desc">d</desc><g/></svg>',
    );
  });
});
