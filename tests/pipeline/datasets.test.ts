// The dataset rows' noise flags: a cell is noisy when its calibration moved or its repeats spread.
import { describe, expect, test } from 'vitest';
import { CALIBRATION_DRIFT_LIMIT, calibrationDrift, noiseOf, REPEAT_SPREAD_LIMIT } from '../../src/pipeline/datasets.ts';
import type { RunnerResult } from '../../src/pipeline/schemas.ts';
import { runnerResult } from './fixtures.ts';

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
