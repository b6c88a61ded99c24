import { describe, expect, test } from 'vitest';
import { describeParity, MIN_SEEDS, seedSpread, trainingParity } from '../../src/report/parity.ts';
import type { Dataset, DatasetRow } from '../../src/pipeline/schemas.ts';
import { runnerResult } from '../pipeline/fixtures.ts';

function row(framework: string, accuracies: number[], overrides: Partial<DatasetRow> = {}): DatasetRow {
  const { protocol: _p, event: _e, ...result } = runnerResult();
  return {
    benchmark: 'cnn-cifar10', framework, target: 'cpu', mode: 'fp32', profile: 'cpu', status: 'ok', key: 'k', entry_key: 'k',
    reason: null, stderr_tail: [], stale_inputs: [], noisy: [], history: [], result: { ...result, accuracies, accuracy: accuracies.at(-1)! },
    inputs: null, started_at: null, finished_at: null, wall_s: null, command: null, ...overrides,
  };
}

const dataset = (rows: DatasetRow[]): Dataset => ({ benchmark: 'cnn-cifar10', spec_version: 1, rows, equivalence: [] });
/** Five seeds around `mean`, spread like a cpu-profile run: sd 0.05. */
const seeds = (mean: number) => [-0.05, -0.05, 0, 0.05, 0.05].map((d) => mean + d);
const one = (rows: DatasetRow[]) => {
  const checks = trainingParity([dataset(rows)]);
  expect(checks).toHaveLength(1);
  return checks[0];
};

describe('training parity', () => {
  test('a result spread across seeds has its mean, sample standard deviation and range', () => {
    expect(seedSpread(row('pytorch', [0.6, 0.8, 1.0]))).toEqual({ seeds: 3, mean: expect.closeTo(0.8, 10), sd: expect.closeTo(0.2, 10), min: 0.6, max: 1.0 });
  });

  test('passes when every mean lies within three standard errors of the pooled seed-to-seed spread from the others', () => {
    // s = 0.05, n = 5: band 3 * s * sqrt(2/5) = 0.095; JAX is 0.08 above PyTorch.
    const check = one([row('pytorch', seeds(0.8)), row('jax', seeds(0.88))]);
    expect(check.verdict).toBe('pass');
    expect(check.band).toBeCloseTo(3 * check.sd! * Math.sqrt(2 / 5));
    expect(check.accuracies.map((a) => a.verdict)).toEqual(['pass', 'pass']);
  });

  test('the band grows with the seed-to-seed spread: the same gap fails when the seeds agree closely', () => {
    const tight = (mean: number) => [mean - 0.005, mean, mean, mean, mean + 0.005];
    const check = one([row('pytorch', tight(0.8)), row('jax', tight(0.88))]);
    expect(check.verdict).toBe('fail');
    expect(check.outliers).toEqual(['pytorch', 'jax']);
  });

  test('one framework that learned something else fails alone, judged against the median of the others', () => {
    const check = one([row('pytorch', seeds(0.8)), row('jax', seeds(0.82)), row('tensorflow', seeds(0.79)), row('keras-jax', seeds(0.4))]);
    expect(check.verdict).toBe('fail');
    expect(check.outliers).toEqual(['keras-jax']);
    expect(check.accuracies.find((a) => a.framework === 'keras-jax')!.difference).toBeCloseTo(-0.4);
  });

  test(`fewer than ${MIN_SEEDS} seeds is no verdict, never a pass, however close the accuracies`, () => {
    const check = one([row('pytorch', [0.9, 0.9, 0.9]), row('jax', [0.9, 0.9, 0.9])]);
    expect(check.verdict).toBe('too-few-seeds');
    expect(check.band).toBeNull();
    expect(check.outliers).toEqual([]);
    expect(describeParity(check)).toBe('cnn-cifar10 on cpu (fp32): too few seeds (fewer than 5) [pytorch 0.900±0.000 (3), jax 0.900±0.000 (3)]');
  });

  test('a framework with too few seeds is shown but not judged, and does not move the others\' verdict', () => {
    const check = one([row('pytorch', seeds(0.8)), row('jax', seeds(0.81)), row('tensorflow', [0.1, 0.1, 0.1])]);
    expect(check.verdict).toBe('pass');
    expect(check.accuracies.map((a) => [a.framework, a.verdict])).toEqual([['pytorch', 'pass'], ['jax', 'pass'], ['tensorflow', 'too-few-seeds']]);
  });

  test('identical seeds still leave a band of one test image, the resolution of an accuracy', () => {
    const params = { test_images: 1000 };
    const inputs = { params } as unknown as DatasetRow['inputs'];
    const same = (value: number) => Array.from({ length: 5 }, () => value);
    const check = one([row('pytorch', same(0.9), { inputs }), row('jax', same(0.901), { inputs })]);
    expect(check.sd).toBeCloseTo(0.001);
    expect(check.verdict).toBe('pass');
    expect(one([row('pytorch', same(0.9), { inputs }), row('jax', same(0.905), { inputs })]).verdict).toBe('fail');
  });

  test('ignores stale, failed and smoke rows, and groups by target and mode', () => {
    const checks = trainingParity([dataset([
      row('pytorch', seeds(0.9)), row('jax', seeds(0.1), { status: 'stale' }), row('keras-jax', seeds(0.1), { profile: 'smoke' }),
      row('tensorflow', seeds(0.89)), row('pytorch', seeds(0.5), { mode: 'fast' }),
    ])]);
    expect(checks).toHaveLength(1);
    expect(checks[0].accuracies.map((a) => a.framework)).toEqual(['pytorch', 'tensorflow']);
  });
});
