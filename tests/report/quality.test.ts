import { beforeAll, describe, expect, test } from 'vitest';
import { parityChart, relativeSpeedChart, timeChart } from '../../src/report/charts.ts';
import { benchmarkFindings, fastSpeedups, fastest } from '../../src/report/findings.ts';
import { formatAccuracy, formatSpeedRatio } from '../../src/report/format.ts';
import type { Report } from '../../src/report/model.ts';
import { citationCaveats, metricCaveats, resolveCell, resolveFastest } from '../../src/report/notes.ts';
import { cellFlags, parityFailure } from '../../src/report/quality.ts';
import { findingLines } from '../../src/report/summary.ts';
import { resultsTable } from '../../src/report/table.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  // The fixture, with five dropout seeds for each cpu fp32 CNN (sd about 0.8 points), and PyTorch's,
  // the fastest of its group (20 s), made a network that did not learn: 10% against about 33.5% for
  // the three others.
  report = structuredClone(await fixtureReport());
  const rows = report.datasets.find((d) => d.benchmark === 'cnn-cifar10')!.rows.filter((r) => r.target === 'cpu' && r.mode === 'fp32' && r.profile === 'cpu' && r.status === 'ok');
  for (const row of rows) {
    const mean = row.framework === 'pytorch' ? 0.1 : row.result!.accuracy!;
    const accuracies = [-0.01, -0.005, 0, 0.005, 0.01].map((d) => mean + d);
    row.result = { ...row.result!, accuracy: accuracies.at(-1)!, accuracies };
  }
});

const cell = (address: string) => {
  const resolved = resolveCell(report, address);
  if (!resolved.ok) throw new Error(resolved.problem);
  return resolved.row;
};
const values = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;

describe('quality flags', () => {
  test('a result whose mean accuracy over its seeds lies outside the band around the others\' of its target and mode fails parity, and says why in words', () => {
    const reason = parityFailure(report, cell('cnn-cifar10/pytorch/cpu/fp32'));
    expect(reason).toMatch(/^fails training parity: its test accuracy, 10\.0% ± 0\.8 points over 5 seeds \(stand-in data\), is 23\.6 points from the median 33\.6% of the means of the 3 other frameworks/);
    expect(parityFailure(report, cell('cnn-cifar10/jax/cpu/fp32'))).toBeNull();
    expect(cellFlags(report, cell('cnn-cifar10/jax/cpu/fast')).map((f) => f.label)).toEqual(['noisy']);
    expect(cellFlags(report, cell('cnn-cifar10/pytorch/cpu/fp32')).map((f) => f.label)).toEqual(['fails parity']);
  });

  test('findings leave a parity failure out of every comparison, and list it as not compared', () => {
    const fp32 = fastest(report, 'cnn-cifar10').find((f) => f.target === 'cpu' && f.mode === 'fp32')!;
    expect(fp32).toMatchObject({ winner: { framework: 'jax', seconds: 25 }, runnerUp: { framework: 'tensorflow' }, count: 2 });
    expect(fastSpeedups(report, 'cnn-cifar10').some((s) => s.framework === 'pytorch' && s.target === 'cpu')).toBe(false);
    const found = benchmarkFindings(report, 'cnn-cifar10');
    expect(found.excluded.map((e) => e.row.framework)).toEqual(['pytorch']);
    const lines = findingLines(report, found).map((line) => `${line.lead}${line.text}`);
    expect(lines[0]).toMatch(/^CPU \(build machine\), cpu profile, machine A, fastest: in fp32, JAX with 25 s \(1\.08× as fast as TensorFlow\)/);
    expect(lines.at(-1)).toMatch(/^Not compared: PyTorch on CPU \(build machine\), fp32: it fails training parity: its test accuracy, 10\.0% ± 0\.8 points over 5 seeds \(stand-in data\)/);
    expect(lines.some((line) => line.includes('20 s') && line.includes('PyTorch'))).toBe(false);
    expect(resolveFastest(report, 'cnn-cifar10', 'h100', 'fast')).toMatchObject({ ok: true });
  });

  test('the table marks it with a note that says why', () => {
    const table = resultsTable(report, 'cnn-cifar10')!;
    const pytorch = table.rows.find((r) => r.framework === 'pytorch')!.cells.find((c) => c.column.target === 'cpu' && c.column.mode === 'fp32')!;
    expect(pytorch.parityNote).not.toBeNull();
    expect(table.notes[pytorch.parityNote! - 1]).toMatch(/^fails training parity/);
    const jax = table.rows.find((r) => r.framework === 'jax')!.cells.find((c) => c.column.target === 'cpu' && c.column.mode === 'fp32')!;
    expect(jax.parityNote).toBeNull();
  });

  test('the time and accuracy charts fade it and write "fails parity" beside it; the relative-speed chart leaves it out and says so', () => {
    const isIt = (p: Record<string, unknown>) => p.framework === 'PyTorch' && p.mode === 'fp32' && String(p.panel).startsWith('CPU');
    expect(values(timeChart(report, 'cnn-cifar10').spec).find(isIt)!.flag).toBe('fails parity');
    expect(timeChart(report, 'cnn-cifar10').description).toContain('PyTorch 20 s (fails parity)');
    expect(values(parityChart(report, 'cnn-cifar10').spec).find(isIt)!.flag).toBe('fails parity');
    const relative = relativeSpeedChart(report, 'cnn-cifar10');
    expect(values(relative.spec).some(isIt)).toBe(false);
    expect(relative.description).toContain('Left out, as they fail training parity: PyTorch (CPU (build machine), fp32).');
  });

  test('a note that cites it says "fails parity"; a ratio under 1 reads "N× slower"', () => {
    expect(citationCaveats(report, [cell('cnn-cifar10/pytorch/cpu/fp32')], false)).toEqual(['fails parity']);
    expect(formatSpeedRatio(0.25)).toBe('4× slower');
    expect(formatSpeedRatio(0.222)).toBe('4.5× slower');
    expect(formatSpeedRatio(2.5)).toBe('2.5× faster');
  });
});

describe('accuracies on the stand-in data', () => {
  test('say so in the table, the accuracy chart, the notes and the findings', () => {
    expect(formatAccuracy(0.61, true)).toBe('61.0% (stand-in data)');
    expect(formatAccuracy(0.61, false)).toBe('61.0%');
    const chart = parityChart(report, 'gru-imdb');
    expect(chart.title).toContain('on stand-in data');
    expect(JSON.stringify(chart.spec)).toContain('test accuracy (stand-in data)');
    expect(chart.description).toContain('PyTorch 61.0% ± 0.0 points over 3 seeds (stand-in data)');
    // The GPU results trained on the real data: no stand-in there.
    expect(chart.description).toMatch(/PyTorch 86\.2% ± 0\.0 points over 3 seeds[,.]/);
    expect(metricCaveats(report, cell('gru-imdb/pytorch/cpu/fp32'), 'accuracy')).toEqual(['on stand-in data']);
    expect(metricCaveats(report, cell('gru-imdb/pytorch/h100/fp32'), 'accuracy')).toEqual([]);
  });
});
