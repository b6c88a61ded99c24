import { beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { checkArticle, checkNote, citationCaveats, citations, enforceNotes, formatMetric, metricCaveats, resolveCell, resolveFastest, withCaveats } from '../../src/report/notes.ts';
import type { Measured } from '../../src/report/findings.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const NOTE = `A sentence with <Metric cell="cnn-cifar10/pytorch/cpu/fp32" /> in it.

Then a failed one <Metric cell="cnn-cifar10/keras-jax/h100/fast" />, a stale one
<Ratio cell="cnn-cifar10/keras-jax/cpu/fast" over="cnn-cifar10/keras-jax/cpu/fp32" />,
and <Fastest benchmark="cnn-cifar10" target="h100" mode="fast" show="name" />.`;

describe('data-bound citations in notes', () => {
  test('are found with their attributes, across line breaks', () => {
    expect(citations(NOTE)).toEqual([
      { component: 'Metric', attributes: { cell: 'cnn-cifar10/pytorch/cpu/fp32' } },
      { component: 'Metric', attributes: { cell: 'cnn-cifar10/keras-jax/h100/fast' } },
      { component: 'Ratio', attributes: { cell: 'cnn-cifar10/keras-jax/cpu/fast', over: 'cnn-cifar10/keras-jax/cpu/fp32' } },
      { component: 'Fastest', attributes: { benchmark: 'cnn-cifar10', target: 'h100', mode: 'fast', show: 'name' } },
    ]);
    expect(citations('<Metric\n  cell="a/b/c/fp32"\n  show="range"\n/>')).toEqual([{ component: 'Metric', attributes: { cell: 'a/b/c/fp32', show: 'range' } }]);
  });

  test('resolve to the current result and format it', () => {
    const resolved = resolveCell(report, 'cnn-cifar10/pytorch/cpu/fp32');
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect(formatMetric(resolved.row, 'median')).toBe('20 s');
    expect(formatMetric(resolved.row, 'accuracy')).toBe('33.5%');
    expect(formatMetric(resolved.row, 'throughput')).toBe('128 images/s');
    expect(formatMetric(resolved.row, 'checksum')).toBeNull();
  });

  test('a note citing a failed, a stale and a missing result gets one problem each, naming the note and the cell', () => {
    const problems = checkNote(report, 'content/article/notes/x.mdx', `${NOTE}\n<Metric cell="gru-imdb/nope/cpu/fp32" />`);
    expect(problems.map((p) => [p.where, p.problem.split(' (')[0]])).toEqual([
      ['content/article/notes/x.mdx', 'cnn-cifar10/keras-jax/h100/fast is failed'],
      ['content/article/notes/x.mdx', 'cnn-cifar10/keras-jax/cpu/fast is stale'],
      ['content/article/notes/x.mdx', 'gru-imdb/nope/cpu/fp32 is not a cell of the gru-imdb dataset'],
    ]);
  });

  test('a ratio of two missing results is reported once', () => {
    const empty = { ...report, datasets: [] };
    expect(checkNote(empty, 'n.mdx', '<Ratio cell="gru-imdb/jax/cpu/fast" over="gru-imdb/jax/cpu/fp32" />')).toHaveLength(1);
  });

  test('citing a benchmark without results, a bad address or a field the result lacks is a problem', () => {
    const empty = { ...report, datasets: report.datasets.filter((d) => d.benchmark !== 'gru-imdb') };
    const source = [
      '<Metric cell="gru-imdb/pytorch/cpu/fp32" />',
      '<Metric cell="pytorch/cpu" />',
      '<Metric cell="cnn-cifar10/pytorch/cpu/fp32" show="checksum" />',
      '<Fastest benchmark="gru-imdb" target="h200" mode="fast" />',
    ].join('\n');
    expect(checkNote(empty, 'n.mdx', source).map((p) => p.problem)).toEqual([
      'there are no results for gru-imdb yet',
      '"pytorch/cpu" is not a cell address (benchmark/framework/target/mode[/profile])',
      'cnn-cifar10/pytorch/cpu/fp32 has no checksum',
      'gru-imdb has no current result on h200 in fast mode',
    ]);
  });

  test('a note for a benchmark that does not exist is reported', () => {
    expect(checkArticle(report, [{ file: 'notes/typo.mdx', source: '', benchmark: 'cnn-cifar' }])).toMatchObject([
      { where: 'notes/typo.mdx', problem: expect.stringContaining('no such benchmark') },
    ]);
  });
});

describe('what a cited figure says next to it', () => {
  const rows = (...cells: string[]) =>
    cells.map((cell) => {
      const resolved = resolveCell(report, cell);
      if (!resolved.ok) throw new Error(resolved.problem);
      return resolved.row as Measured;
    });

  test('a ratio of two cells of one machine says nothing more', () => {
    expect(citationCaveats(report, rows('cnn-cifar10/pytorch/cpu/fast', 'cnn-cifar10/pytorch/cpu/fp32'), true)).toEqual([]);
  });

  test('a ratio across machines says "measured on different machines"', () => {
    const caveats = citationCaveats(report, rows('cnn-cifar10/keras-jax/cpu/fp32', 'cnn-cifar10/pytorch/cpu/fp32'), true);
    expect(caveats).toEqual(['measured on different machines']);
    expect(withCaveats('1.6×', caveats)).toBe('1.6× (measured on different machines)');
    // A result without a recorded machine cannot be shown to share one: noisy too (no calibration).
    expect(citationCaveats(report, rows('resnet50-features/tensorflow/cpu/fp32', 'resnet50-features/pytorch/cpu/fp32'), true)).toEqual(['measured on different machines', 'noisy']);
  });

  test('a number quoted from a noisy result says "noisy"', () => {
    expect(citationCaveats(report, rows('cnn-cifar10/jax/cpu/fast'), false)).toEqual(['noisy']);
    expect(citationCaveats(report, rows('cnn-cifar10/pytorch/cpu/fast'), false)).toEqual([]);
    expect(citationCaveats(report, rows('cnn-cifar10/pytorch/cpu/fast', 'cnn-cifar10/jax/cpu/fast'), true)).toEqual(['noisy']);
    expect(withCaveats('20 s', ['noisy'])).toBe('20 s (noisy)');
    const [noisy] = rows('cnn-cifar10/jax/cpu/fast');
    expect(metricCaveats(report, noisy, 'median')).toEqual(['noisy']);
    expect(metricCaveats(report, noisy, 'throughput')).toEqual(['noisy']);
    // Noise is about time: what the network learned is not noisy; but it was learned on the stand-in data, and says so.
    expect(metricCaveats(report, noisy, 'accuracy')).toEqual(['on stand-in data']);
  });

  test('there is no one fastest on a target that several machines measured, and the note check says so', () => {
    const resolved = resolveFastest(report, 'cnn-cifar10', 'cpu', 'fp32');
    expect(resolved).toMatchObject({ ok: false, shown: '[measured on different machines]', problem: expect.stringContaining('machine A, machine B') });
    expect(checkNote(report, 'n.mdx', '<Fastest benchmark="cnn-cifar10" target="cpu" mode="fp32" />').map((p) => p.problem)).toEqual([
      'cnn-cifar10 on cpu in fp32 mode was measured on different machines (machine A, machine B): there is no one fastest',
    ]);
    expect(resolveFastest(report, 'cnn-cifar10', 'h100', 'fp32')).toMatchObject({ ok: true, fastest: { winner: { framework: 'jax' } }, caveats: [] });
  });

  test('a fastest whose time is noisy says so', () => {
    // Without PyTorch, gru's fastest on the h100 in fp32 is JAX, whose repeats spread.
    const withoutPytorch = {
      ...report,
      datasets: report.datasets.map((d) => ({ ...d, rows: d.rows.filter((r) => !(r.framework === 'pytorch' && r.target === 'h100')) })),
    };
    expect(resolveFastest(withoutPytorch, 'gru-imdb', 'h100', 'fp32')).toMatchObject({ ok: true, fastest: { winner: { framework: 'jax' } }, caveats: ['noisy'] });
  });
});

describe('strict mode for notes', () => {
  const problems = [{ where: 'content/article/notes/x.mdx', citation: '<Metric cell="a/b/c/fp32" />', problem: 'a/b/c/fp32 is failed' }];

  test('warns by default, naming the note and the cell', () => {
    const warnings: string[] = [];
    enforceNotes(problems, false, (message) => warnings.push(message));
    expect(warnings).toEqual(['warning: content/article/notes/x.mdx: <Metric cell="a/b/c/fp32" /> cites a result that cannot be shown: a/b/c/fp32 is failed']);
  });

  test('fails the build under strict mode', () => {
    expect(() => enforceNotes(problems, true, () => {})).toThrow(/1 citation\(s\) in the analysis notes[\s\S]*notes\/x\.mdx: <Metric/);
  });

  test('says nothing when every citation resolves', () => {
    const warnings: string[] = [];
    enforceNotes([], true, (message) => warnings.push(message));
    expect(warnings).toEqual([]);
  });
});
