import { describe, expect, test } from 'vitest';
import { benchmarkCheckLine, equivalenceSummary, equivalenceTable } from '../../src/report/equivalence.ts';
import { fixtureReport } from './fixture-report.ts';

const report = await fixtureReport();
const lines = equivalenceTable(report);
const cell = (framework: string, benchmark: string) => lines.find((l) => l.framework === framework)!.cells.find((c) => c.benchmark === benchmark)!;

describe('the Rosetta check in the report', () => {
  test('has one line per framework with a check, one cell per benchmark in the spec order', () => {
    expect(lines.map((line) => line.framework)).toEqual(['jax', 'keras-jax', 'pytorch', 'tensorflow']);
    expect(lines[0].cells.map((c) => c.benchmark)).toEqual(report.benchmarks.map((b) => b.id));
  });

  test('a current outcome within the tolerance passes and shows its relative difference', () => {
    expect(cell('pytorch', 'cnn-cifar10')).toMatchObject({ passed: true, text: 'pass, 7.7e-7; training step 2.6e-3' });
    expect(cell('pytorch', 'cnn-cifar10').detail).toMatch(/max \|diff\| 1\.5e-6 on a scale of 2\.00 \(relative 7\.7e-7, tolerance 0\.0001\)/);
    expect(cell('pytorch', 'cnn-cifar10').detail).toMatch(
      /training step \(2 SGD with momentum steps on a batch of 64, dropout off\): loss relative difference 4\.2e-6 \(tolerance 0\.0001\), updates 2\.6e-3 at worst, in conv1\.kernel \(tolerance 0\.01\)/);
  });

  test("an optimizer that differs from the spec by design is compared with its own algorithm, and the difference is stated with its size", () => {
    const byDesign = { difference: "Adam's epsilon added to the uncorrected sqrt(v)", loss_relative_diff: 5.2e-5, update_relative_diff: 0.357, worst_tensor: 'embedding.table' };
    const datasets = report.datasets.map((dataset) => ({
      ...dataset,
      equivalence: dataset.equivalence.map((row) =>
        dataset.benchmark === 'gru-imdb' && row.outcome?.training ? { ...row, outcome: { ...row.outcome, training: { ...row.outcome.training, by_design: byDesign } } } : row),
    }));
    const gru = equivalenceTable({ ...report, datasets }).find((l) => l.framework === 'pytorch')!.cells.find((c) => c.benchmark === 'gru-imdb')!;
    expect(gru).toMatchObject({ passed: true, text: 'pass, 5.8e-7; training step 3.3e-6 (by design 3.6e-1 from the spec)' });
    expect(gru.detail).toMatch(/differs from the spec by design: Adam's epsilon added to the uncorrected sqrt\(v\), which moves the updates by 3\.6e-1 \(in embedding\.table\) and the loss by 5\.2e-5 after 2 steps/);
  });

  test('a check of version 1 says that it checked the forward pass only', () => {
    expect(cell('jax', 'cnn-cifar10').detail).toMatch(/training step not checked/);
  });

  test('a difference over the tolerance, or a wrong parameter count, fails with the numbers', () => {
    expect(cell('keras-jax', 'cnn-cifar10')).toMatchObject({ passed: false, text: 'FAIL, 2.5e-3; training step FAIL, 3.1e-1' });
    expect(cell('tensorflow', 'resnet50-features')).toMatchObject({ passed: false, text: 'FAIL, 23,561,152 parameters, spec 23,508,032' });
  });

  test('a stale outcome is never a verdict, and a failed or missing check says what happened', () => {
    expect(cell('jax', 'resnet50-features')).toMatchObject({ status: 'stale', passed: null, text: 'stale (was pass, 4.0e-7)' });
    expect(cell('jax', 'resnet50-features').detail).toMatch(/inputs changed since it ran: files\..*jax\/resnet50_features\.py/);
    expect(cell('tensorflow', 'cnn-cifar10')).toMatchObject({ status: 'failed', passed: null, text: 'failed' });
    expect(cell('tensorflow', 'cnn-cifar10').detail).toMatch(/KeyError: conv1\.kernel/);
    expect(cell('jax', 'gru-imdb')).toMatchObject({ status: 'not-measured', passed: null });
    expect(cell('keras-jax', 'gru-imdb')).toMatchObject({ status: 'not-measured', text: 'not run yet' });
  });

  test('the summary counts only current outcomes', () => {
    expect(equivalenceSummary(lines)).toEqual({ passed: 4, current: 6 });
  });

  test("a benchmark's line counts its current checks, names the failures and the frameworks without one", () => {
    expect(benchmarkCheckLine(report, 'cnn-cifar10')).toBe(
      '2 of 3 frameworks match the NumPy reference (largest relative difference 7.7e-7); fails: Keras 3 (JAX backend); 1 without a current check',
    );
    expect(benchmarkCheckLine(report, 'gru-imdb')).toBe('1 of 1 frameworks match the NumPy reference (largest relative difference 5.8e-7); 3 without a current check');
  });
});
