import { beforeAll, describe, expect, test } from 'vitest';
import { throughputOverviewChart } from '../../src/report/charts.ts';
import type { Report } from '../../src/report/model.ts';
import { headlineText, overview, throughputPoints } from '../../src/report/overview.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

describe('the top of the article', () => {
  test('the headline says when, what, on which machines, at which profiles, on which data, and how many GPU cells are measured', () => {
    const [what, how, gpus] = headlineText(overview(report));
    expect(what).toMatch(/^Measured 2026-10-03 to 2026-11-24: 37 current results of 3 benchmarks and 4 frameworks, on 5 machines: machine A: Fixture CPU @ 2\.20GHz, 2 cores/);
    expect(what.indexOf('machine B:')).toBeLessThan(what.indexOf('machine C:'));
    expect(how).toBe(
      "17 at the cpu profile (the 2017 study's workloads scaled down for a 2-core machine) and 20 at the full profile (the 2017 study's workloads), 14 on the real datasets and 23 on stand-in data (synthetic, generated from the seed).",
    );
    expect(gpus).toBe('GPUs: 20 of 48 GPU cells measured.');
  });

  test('with nothing measured it says so, and a CPU-only report says that no GPU cell is measured yet', () => {
    expect(headlineText(overview({ ...report, datasets: [] }))).toEqual(['Nothing is measured yet: every cell of the matrix is waiting for its first run.']);
    const cpuOnly = { ...report, datasets: report.datasets.map((d) => ({ ...d, rows: d.rows.map((row) => (row.target === 'cpu' ? row : { ...row, status: 'not-measured' as const, result: null })) })) };
    expect(headlineText(overview(cpuOnly)).at(-1)).toBe('GPUs: 0 of 48 GPU cells measured so far.');
    expect(headlineText(overview(cpuOnly))[1]).toMatch(/^At the cpu profile .*, all on stand-in data/);
  });

  test('the throughput chart has one panel per benchmark, from one machine each, fastest first', () => {
    const panels = throughputPoints(report);
    expect(panels.map((p) => [p.benchmark, p.machine])).toEqual([
      ['cnn-cifar10', 'machine A'],
      ['gru-imdb', 'machine A'],
      ['resnet50-features', 'machine A'],
    ]);
    for (const panel of panels) {
      const speeds = panel.points.map((p) => p.throughput);
      expect(speeds).toEqual([...speeds].sort((a, b) => b - a));
    }
    expect(panels[0].points.find((p) => p.framework === 'JAX' && p.mode === 'fast')?.flag).toBe('noisy');
    const chart = throughputOverviewChart(report);
    const stacked = (chart.spec as { vconcat: { title: string; data: { values: { framework: string }[] } }[] }).vconcat;
    expect(stacked.map((part) => part.title)).toEqual([
      'CNN on CIFAR-10 · images/s · CPU (build machine), machine A',
      'GRU on IMDB sentiment · samples/s · CPU (build machine), machine A',
      'ResNet-50 feature extraction · images/s · CPU (build machine), machine A',
    ]);
    expect(stacked[0].data.values[0].framework).toBe('PyTorch');
    expect(chart.description).toContain('JAX fast 128 (noisy)');
  });
});
