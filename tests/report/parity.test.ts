import { describe, expect, test } from 'vitest';
import { describeParity, trainingParity } from '../../src/report/parity.ts';
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

describe('training parity', () => {
  test('passes when the median accuracies of all frameworks lie within the band', () => {
    const [check] = trainingParity([dataset([row('pytorch', [0.9, 0.92, 0.91]), row('jax', [0.93, 0.93, 0.94])])], 0.05);
    expect(check.passed).toBe(true);
    expect(check.spread).toBeCloseTo(0.02);
  });

  test('fails outside the band and says the numbers', () => {
    const [check] = trainingParity([dataset([row('pytorch', [0.9]), row('tensorflow', [0.6])])], 0.05);
    expect(check.passed).toBe(false);
    expect(describeParity(check)).toBe('cnn-cifar10 on cpu (fp32): spread 0.300 > band 0.05 [pytorch 0.900, tensorflow 0.600]');
  });

  test('the median of each framework is compared (even count: the mean of the middle two), not its last or best repeat', () => {
    const [check] = trainingParity([dataset([row('pytorch', [0.5, 0.9, 0.91, 0.99]), row('jax', [0.93, 0.6, 0.94])])], 0.05);
    expect(check.accuracies.map((a) => [a.framework, a.accuracy])).toEqual([['pytorch', 0.905], ['jax', 0.93]]);
    expect(check.passed).toBe(true);
  });

  test('ignores stale, failed and smoke rows, and groups by target and mode', () => {
    const checks = trainingParity([dataset([
      row('pytorch', [0.9]), row('jax', [0.1], { status: 'stale' }), row('keras-jax', [0.1], { profile: 'smoke' }),
      row('tensorflow', [0.89]), row('pytorch', [0.5], { mode: 'fast' }),
    ])]);
    expect(checks).toHaveLength(1);
    expect(checks[0].accuracies.map((a) => a.framework)).toEqual(['pytorch', 'tensorflow']);
  });
});
