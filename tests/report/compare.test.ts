import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { CALIBRATION_DRIFT_LIMIT } from '../../src/pipeline/datasets.ts';
import { diffResults, FDR, MIN_EFFECT, VERDICTS as PIPELINE_VERDICTS } from '../../src/pipeline/diff.ts';
import type { ComparedDataset } from '../../src/pipeline/diff.ts';
import {
  attentionItems,
  changeSections,
  comparisonSummary,
  ComparisonSchema,
  DIFF_THRESHOLDS,
  loadComparison,
  methodSentence,
  VERDICTS,
} from '../../src/report/compare.ts';
import type { Comparison } from '../../src/report/compare.ts';
import type { Report } from '../../src/report/model.ts';
import { FIXTURES, fixtureReport } from './fixture-report.ts';

// The fixture: tests/fixtures/make-results.ts writes it with the pipeline's own diffResults.
const FIXTURE = join(FIXTURES, 'compare.json');

let report: Report;
let comparison: Comparison;
beforeAll(async () => {
  report = await fixtureReport();
  comparison = await loadComparison(FIXTURE);
});

describe('reading the results diff', () => {
  test("the site's schema reads what the pipeline's diffResults produces, and knows its verdicts", () => {
    const head = report.datasets as unknown as ComparedDataset[];
    // The PyTorch H100 fp32 cells twice as fast before: three regressions, read back as written.
    const base = head.map((dataset) => ({
      ...dataset,
      rows: dataset.rows.map((row) =>
        row.status === 'ok' && row.result && row.framework === 'pytorch' && row.target === 'h100' && row.mode === 'fp32'
          ? { ...row, finished_at: '2026-01-01T00:00:00.000Z', result: { ...row.result, metric: { ...row.result.metric, samples: row.result.metric.samples.map((s) => s / 2) as [number, ...number[]] } } }
          : row,
      ),
    }));
    const parsed = ComparisonSchema.parse(JSON.parse(JSON.stringify({ base: 'HEAD~1', head: 'this build', ...diffResults(base, head) })));
    expect(parsed.counts.regressed).toBe(3);
    expect([...VERDICTS]).toEqual(PIPELINE_VERDICTS);
  });

  test('a compare file that is not a results diff stops the build, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rosetta-compare-'));
    try {
      const path = join(dir, 'compare.json');
      await writeFile(path, JSON.stringify({ base: 'main', cells: [] }));
      await expect(loadComparison(path)).rejects.toThrow(`ROSETTA_COMPARE_FILE ${path} is not a results diff`);
      await expect(loadComparison(join(dir, 'missing.json'))).rejects.toThrow(/cannot be read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the "What changed" section', () => {
  test('the summary line counts every verdict and the Rosetta checks that changed', () => {
    expect(comparisonSummary(comparison)).toMatch(
      /^1 regressed, 1 improved, 2 within noise, 2 not comparable, 1 new, 1 removed, 1 status changed \(\d+ unchanged\); 1 Rosetta check changed$/,
    );
  });

  test('lists first what needs attention: the ok cell that fails now, the accuracy that moved, the Rosetta check that stops passing', () => {
    const items = attentionItems(report, comparison);
    expect(items.map((item) => [item.cell?.name ?? null, item.text])).toEqual([
      ['Keras 3 (JAX backend), NVIDIA H100 SXM, fast', expect.stringMatching(/^ok -> failed: the runner exited with code 1/)],
      ['PyTorch, NVIDIA H100 SXM, fast', 'accuracy moved from 0.851 to 0.769, beyond the 0.05 band'],
      [null, 'the Rosetta check of Keras 3 (JAX backend) for CNN on CIFAR-10 no longer passes: pass → fail'],
    ]);
    expect(items[0].cell?.path).toBe('results/cnn-cifar10/keras-jax/h100-fast-full/');
  });

  test('each benchmark lists its changed cells, worst first, with before, after, the ratio and its interval, linked to their pages', () => {
    const sections = changeSections(report, comparison);
    expect(sections.map((section) => section.title)).toEqual(['CNN on CIFAR-10', 'GRU on IMDB sentiment']);
    const [cnn, gru] = sections;
    expect(cnn.lines.map((line) => line.verdict)).toEqual(['regressed', 'status changed', 'not comparable', 'not comparable', 'new', 'removed', 'within noise', 'within noise']);
    expect(cnn.lines.every((line) => line.verdict !== 'unchanged')).toBe(true);
    const regressed = cnn.lines[0];
    expect(regressed).toMatchObject({ name: 'PyTorch, CPU (build machine), fp32', path: 'results/cnn-cifar10/pytorch/cpu-fp32-cpu/', ratio: '1.250×' });
    expect(regressed.before).toEqual({ value: '16 s', machine: 'machine A' });
    expect(regressed.after).toEqual({ value: '20 s', machine: 'machine A' });
    expect(regressed.interval).toMatch(/^1\.\d{3}–1\.\d{3}$/);
    // Different machines and a noisy run are named as the reason, never as a regression.
    const [noisy, machines] = cnn.lines.filter((line) => line.verdict === 'not comparable');
    expect(machines.notes[0]).toMatch(/^measured on different machines/);
    expect(machines.after.machine).toBe('machine B');
    expect(noisy.after.value).toBe('20 s (noisy)');
    expect(cnn.lines.find((line) => line.verdict === 'removed')?.after.value).toBe('not measured');
    expect(cnn.checks).toEqual([expect.objectContaining({ framework: 'keras-jax', before: 'pass', after: 'fail', attention: true })]);
    expect(gru.lines.map((line) => [line.verdict, line.ratio])).toEqual([['improved', expect.stringMatching(/^0\.78\d×$/)]]);
  });

  test("a cell this build has no page for is named, not linked", () => {
    const gone = { ...comparison, cells: comparison.cells.map((cell, i) => (i === 0 ? { ...cell, id: 'cnn-cifar10/mxnet/cpu/fp32/cpu', verdict: 'removed' as const } : cell)) };
    const line = changeSections(report, gone)[0].lines.find((l) => l.id === 'cnn-cifar10/mxnet/cpu/fp32/cpu')!;
    expect(line).toMatchObject({ name: 'mxnet, CPU (build machine), fp32', path: null });
  });

  test("the method sentence states the pipeline's own thresholds", () => {
    expect(DIFF_THRESHOLDS).toEqual({ minEffect: MIN_EFFECT, fdr: FDR, calibrationLimit: CALIBRATION_DRIFT_LIMIT });
    const sentence = methodSentence(comparison);
    expect(sentence).toContain(`by at least ${MIN_EFFECT * 100}%`);
    expect(sentence).toContain(`a ${FDR * 100}% false discovery rate (Benjamini-Hochberg over the ${comparison.compared} cells measured again)`);
    expect(sentence).toContain(`more than ${CALIBRATION_DRIFT_LIMIT * 100}% apart are not comparable`);
  });
});
