// The dataset rows: what a reader sees of each planned cell (ok, stale, failed, not measured,
// unsupported, unavailable), and the noise flags: a cell is noisy when its calibration moved or its
// repeats spread.
import { describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { CALIBRATION_DRIFT_LIMIT, calibrationDrift, datasetRow, noiseOf, REPEAT_SPREAD_LIMIT } from '../../src/pipeline/datasets.ts';
import type { PlannedCell } from '../../src/pipeline/plan.ts';
import type { RunnerResult } from '../../src/pipeline/schemas.ts';
import { CELL, EXPECTED, cacheEntry, failedEntry, runnerResult } from './fixtures.ts';
import { ROOT } from './project.ts';

const content = await loadContent(ROOT);
const KEY = 'd'.repeat(64);
const planned = (overrides: Partial<PlannedCell>): PlannedCell => ({
  kind: 'cell', id: 'cnn-cifar10/pytorch/cpu/fp32/smoke', cell: CELL, status: 'missing', reason: null, key: KEY, inputs: cacheEntry().inputs,
  runner: 'runners/pytorch/cnn_cifar10.py', timeoutS: 300, runnable: true, expected: EXPECTED, current: null, previous: null, changed: [], ...overrides,
});

describe('dataset rows', () => {
  test('a cached cell is ok with its result (protocol fields left out), its entry and its noise', () => {
    const entry = cacheEntry({ key: KEY });
    const row = datasetRow(planned({ status: 'cached', current: entry }), content);
    expect(row).toMatchObject({ status: 'ok', key: KEY, entry_key: KEY, reason: null, wall_s: 2, stale_inputs: [], stderr_tail: [] });
    expect(row.result).not.toHaveProperty('event');
    expect(row.result?.metric.median).toBe(1.5);
    expect(row.noisy).toEqual(['no calibration was recorded: whether the machine was steady is unknown']);
  });

  test('a cell whose inputs changed since its ok result is stale: the old numbers, the inputs that changed', () => {
    const old = cacheEntry();
    const row = datasetRow(planned({ previous: old, changed: ['files.runners/pytorch/cnn_cifar10.py'] }), content);
    expect(row).toMatchObject({
      status: 'stale', key: KEY, entry_key: old.key, stale_inputs: ['files.runners/pytorch/cnn_cifar10.py'],
      reason: 'inputs changed since it ran: files.runners/pytorch/cnn_cifar10.py',
    });
    expect(row.result?.metric.median).toBe(1.5);
  });

  test('a failed run of the current inputs is shown as failed with its reason and stderr, even with an older ok result', () => {
    const row = datasetRow(planned({ current: failedEntry({ key: KEY }), previous: cacheEntry(), changed: ['params.epochs'] }), content);
    expect(row).toMatchObject({ status: 'failed', reason: 'the runner exited with code 1', stderr_tail: ['RuntimeError: boom'], result: null, stale_inputs: [] });
  });

  test('a failed result under older inputs is not shown: the cell is not measured yet, and says how to measure it', () => {
    const row = datasetRow(planned({ previous: failedEntry(), changed: ['params.epochs'] }), content);
    expect(row).toMatchObject({ status: 'not-measured', reason: 'not run yet: `npm run build` runs it', entry_key: null });
    const gpu = datasetRow(planned({ cell: { ...CELL, target: 'h100' }, runnable: false }), content);
    expect(gpu.reason).toMatch(/^not measured yet: needs the .*H100.* \(see the GPU flow in the README\)$/);
  });

  test('unsupported and unavailable cells keep their reason and no numbers', () => {
    for (const status of ['unsupported', 'unavailable'] as const) {
      const row = datasetRow(planned({ status, reason: `why ${status}`, key: null, inputs: null, runner: null }), content);
      expect(row).toMatchObject({ status, reason: `why ${status}`, key: null, entry_key: null, result: null, noisy: [] });
    }
  });
});

function measured(samples: number[], cpuGflops: number[], gpuGflops: (number | null)[] = cpuGflops.map(() => null)): RunnerResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const readings = cpuGflops.map((cpu_gflops, i) => ({ at: '2026-12-01T10:00:00.000Z', cpu_gflops, gpu_gflops: gpuGflops[i], load_1m: 1 }));
  return {
    ...runnerResult(),
    metric: { name: 'train_seconds', unit: 's', samples, median: sorted[1], min: sorted[0], max: sorted[2] },
    calibration: { workload: 'gemm', readings: readings as [typeof readings[0], ...typeof readings] },
  };
}

describe('noise flags', () => {
  test('a steady machine and close repeats are not noisy', () => {
    expect(noiseOf(measured([10, 10.5, 10.2], [100, 102, 99, 101]))).toEqual([]);
  });

  test('a calibration that moved beyond the limit in two readings makes it noisy, saying by how much', () => {
    expect(CALIBRATION_DRIFT_LIMIT).toBe(0.1);
    expect(noiseOf(measured([10, 10.5, 10.2], [100, 80, 82, 101]))).toEqual(['the CPU calibration moved 19% during the cell (limit 10%)']);
  });

  test('one low reading among four is a blip of the calibration itself, not a moving machine', () => {
    expect(calibrationDrift([100, 50, 99, 101])).toBeCloseTo(0.02);
    expect(noiseOf(measured([10, 10.5, 10.2], [100, 50, 99, 101]))).toEqual([]);
    // With fewer readings there is nothing to set aside.
    expect(calibrationDrift([100, 80])).toBeCloseTo(0.2 / 0.9);
  });

  test('a GPU calibration is judged on its own', () => {
    expect(noiseOf(measured([10, 10, 10], [100, 100], [500, 300]))).toEqual(['the GPU calibration moved 50% during the cell (limit 10%)']);
  });

  test('repeats that spread beyond the limit make it noisy', () => {
    expect(REPEAT_SPREAD_LIMIT).toBe(0.15);
    expect(noiseOf(measured([10, 12, 10.2], [100, 100, 100, 100]))).toEqual(['its repeats spread 20% of their median (limit 15%)']);
  });

  test('a result without calibration cannot be called steady', () => {
    expect(noiseOf(runnerResult())).toEqual(['no calibration was recorded: whether the machine was steady is unknown']);
  });
});

describe('where a cell stands against the cache', () => {
  test('ok and timed-out records of the current key are cached (a timeout is not spent again by itself); any other failure is missing', async () => {
    const { againstCache } = await import('../../src/pipeline/plan.ts');
    const { cellKey } = await import('../../src/pipeline/key.ts');
    const inputs = cacheEntry().inputs;
    const key = cellKey(inputs);
    const standing = (status: 'ok' | 'failed' | 'timeout' | 'invalid-output') =>
      againstCache(inputs, [status === 'ok' ? cacheEntry({ key }) : failedEntry({ key, status })]).status;
    expect(standing('ok')).toBe('cached');
    expect(standing('timeout')).toBe('cached');
    expect(standing('failed')).toBe('missing');
    expect(standing('invalid-output')).toBe('missing');
    expect(againstCache(inputs, [cacheEntry({ key: 'e'.repeat(64) })]).status).toBe('missing');
  });
});
