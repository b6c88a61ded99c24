import { beforeAll, describe, expect, test } from 'vitest';
import { renderSvg } from '../../src/report/chart-svg.ts';
import { historyChart } from '../../src/report/charts.ts';
import { cellHistory, chartedLines, HISTORY_CHART_MIN_POINTS, historyValue } from '../../src/report/history.ts';
import { findRow } from '../../src/report/model.ts';
import type { Report } from '../../src/report/model.ts';
import type { DatasetRow } from '../../src/pipeline/schemas.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const row = (address: string): DatasetRow => {
  const [benchmark, framework, target, mode] = address.split('/');
  return findRow(report, { benchmark, framework, target, mode: mode as 'fp32' | 'fast' })!;
};

type Point = { series: string; median: number; current: boolean };
const points = (spec: unknown) => (spec as { data: { values: Point[] } }).data.values;

describe("a cell's history", () => {
  test('lists the earlier results oldest first, then the current one, each with its median, date, machine, status and changed inputs', () => {
    const lines = cellHistory(report, row('cnn-cifar10/pytorch/cpu/fp32'));
    expect(lines.map((line) => [historyValue(line), line.finishedAt?.slice(0, 10), line.machineLabel, line.status, line.current])).toEqual([
      ['23 s', '2026-10-21', 'machine A', 'ok', false],
      ['14 s', '2026-11-08', 'machine B', 'ok', false],
      ['21 s', '2026-11-15', 'machine A', 'ok', false],
      ['20 s', '2026-11-20', 'machine A', 'ok', true],
    ]);
    // The first ran an older runner file; the others ran the current inputs.
    expect(lines.map((line) => line.changed)).toEqual([['files.tests/fixtures/runners/pytorch/cnn_cifar10.py'], [], [], []]);
    expect(cellHistory(report, row('gru-imdb/pytorch/cpu/fp32'))[0].changed).toEqual(['seed']);
  });

  test("marks the result of another machine than the current result's, and only that one", () => {
    const lines = cellHistory(report, row('cnn-cifar10/pytorch/cpu/fp32'));
    expect(lines.map((line) => line.otherMachine)).toEqual([false, true, false, false]);
    expect(lines.map((line) => line.machineNote)).toEqual([null, 'another machine', null, null]);
  });

  test('an earlier result whose machine was not recorded is not comparable either, without claiming it was another one', () => {
    const current = row('cnn-cifar10/pytorch/cpu/fp32');
    const [older] = cellHistory(report, { ...current, history: [{ ...current.history[0], machine: null }] });
    expect([older.machineLabel, older.otherMachine, older.machineNote]).toEqual(['machine not recorded', true, 'not comparable']);
  });

  test("a failed earlier run shows its status without a figure, and is never called another machine's", () => {
    const [failed, current] = cellHistory(report, row('cnn-cifar10/jax/h100/fp32'));
    expect([failed.status, historyValue(failed), failed.otherMachine]).toEqual(['failed', '—', false]);
    expect(current.current).toBe(true);
  });

  test('says "(noisy)" next to a noisy current result, as everywhere else in the report', () => {
    const noisy = row('cnn-cifar10/jax/cpu/fast');
    const lines = cellHistory(report, { ...noisy, history: row('cnn-cifar10/pytorch/cpu/fp32').history });
    expect(historyValue(lines.at(-1)!)).toBe('20 s (noisy)');
  });

  test('a cell without earlier results has only its current line, and no chart', () => {
    const only = row('cnn-cifar10/pytorch/cpu/fast');
    expect(cellHistory(report, only)).toHaveLength(1);
    expect(historyChart(report, only)).toBeNull();
  });

  test('without a current result, the latest earlier result is the machine the others are set against', () => {
    const failedNow = { ...row('cnn-cifar10/pytorch/cpu/fp32'), status: 'failed' as const, result: null };
    expect(cellHistory(report, failedNow).map((line) => [line.machineLabel, line.otherMachine])).toEqual([
      ['machine A', false],
      ['machine B', true],
      ['machine A', false],
    ]);
  });
});

describe("a cell's history chart", () => {
  test(`starts at ${HISTORY_CHART_MIN_POINTS} results with a median: none for one earlier result, one for three`, () => {
    expect(historyChart(report, row('gru-imdb/pytorch/cpu/fp32'))).toBeNull();
    // One earlier run that failed: one point besides the current one.
    expect(chartedLines(cellHistory(report, row('cnn-cifar10/jax/h100/fp32')))).toHaveLength(1);
    expect(historyChart(report, row('cnn-cifar10/jax/h100/fp32'))).toBeNull();
    const chart = historyChart(report, row('cnn-cifar10/pytorch/cpu/fp32'))!;
    expect(points(chart.spec).map((point) => point.median)).toEqual([23, 14, 21, 20]);
    expect(points(chart.spec).map((point) => point.current)).toEqual([false, false, false, true]);
  });

  test("draws the point of another machine in its own colour and shape, and says so in words", () => {
    const chart = historyChart(report, row('cnn-cifar10/pytorch/cpu/fp32'))!;
    expect(points(chart.spec).map((point) => point.series)).toEqual([
      "machine A (this result's machine)",
      'machine B (another machine)',
      "machine A (this result's machine)",
      "machine A (this result's machine)",
    ]);
    const layers = (chart.spec as unknown as { encoding: { color: { scale: { range: string[] } } }; layer: { encoding: { shape?: { scale: { range: string[] } } } }[] });
    const [colors, shapes] = [layers.encoding.color.scale.range, layers.layer[1].encoding.shape!.scale.range];
    expect(new Set(colors).size).toBe(2);
    expect(new Set(shapes).size).toBe(2);
    expect(chart.description).toContain("Results of another machine than this result's (or of a machine not recorded) have their own colour and shape");
    expect(chart.description).toContain('14 s on machine B (another machine)');
    expect(chart.description).toContain('20 s on machine A (this result)');
  });

  test('renders to an accessible SVG whose legend names the other machine', async () => {
    const chart = historyChart(report, row('cnn-cifar10/pytorch/cpu/fp32'))!;
    const svg = await renderSvg(chart.spec!, { id: 'history-chart', title: chart.title, description: chart.description });
    expect(svg).toMatch(/^<svg[^>]* role="img" aria-labelledby="history-chart-title"/);
    // In the drawing itself (the legend and the axis), not only in its text alternative; axis days are
    // UTC days wherever the site is built.
    expect(svg).toContain('>machine B (another machine)</text>');
    expect(svg).toContain('>2026-10-21</text>');
  });
});
