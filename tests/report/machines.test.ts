import { beforeAll, describe, expect, test } from 'vitest';
import {
  benchmarkMachines,
  describeMachine,
  describeMachineUse,
  DIFFERENT_MACHINES,
  machineCaveat,
  machineLabels,
  NOT_RECORDED,
  NOT_RECORDED_LABEL,
} from '../../src/report/machines.ts';
import { findRow } from '../../src/report/model.ts';
import type { Report } from '../../src/report/model.ts';
import type { DatasetRow } from '../../src/pipeline/schemas.ts';
import { fixtureReport, withEnvironment } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const row = (benchmark: string, framework: string, target: string, mode: 'fp32' | 'fast') => findRow(report, { benchmark, framework, target, mode }) as DatasetRow;

describe('machines', () => {
  test('every machine has one label across the report, in target order, and older results are "machine not recorded"', () => {
    const labels = machineLabels(report);
    const of = (r: DatasetRow) => labels.get(r.result!.machine?.id ?? NOT_RECORDED);
    expect(of(row('cnn-cifar10', 'pytorch', 'cpu', 'fp32'))).toBe('machine A');
    expect(of(row('gru-imdb', 'pytorch', 'cpu', 'fp32'))).toBe('machine A');
    expect(of(row('cnn-cifar10', 'keras-jax', 'cpu', 'fp32'))).toBe('machine B');
    expect(of(row('gru-imdb', 'pytorch', 'cpu', 'fast'))).toBe('machine B');
    expect(of(row('resnet50-features', 'jax', 'h100', 'fp32'))).toBe('machine C');
    expect(of(row('resnet50-features', 'pytorch', 'h200', 'fp32'))).toBe('machine D');
    expect(of(row('resnet50-features', 'tensorflow', 'cpu', 'fp32'))).toBe(NOT_RECORDED_LABEL);
  });

  test('figures of one recorded machine compare; of two they do not; without a recorded machine they say so', () => {
    const [a1, a2, b] = [row('cnn-cifar10', 'pytorch', 'cpu', 'fp32'), row('cnn-cifar10', 'jax', 'cpu', 'fp32'), row('cnn-cifar10', 'keras-jax', 'cpu', 'fp32')];
    const older = row('resnet50-features', 'tensorflow', 'cpu', 'fp32');
    expect(machineCaveat([a1, a2])).toBeNull();
    expect(machineCaveat([a1, b])).toBe(DIFFERENT_MACHINES);
    expect(machineCaveat([a1, older])).toBe(DIFFERENT_MACHINES);
    expect(machineCaveat([older, { ...older }])).toBe(NOT_RECORDED_LABEL);
  });

  test('a machine reads as its CPU, cores, memory and OS, then its GPU, driver and CUDA', () => {
    expect(describeMachine(row('cnn-cifar10', 'keras-jax', 'cpu', 'fp32').result!.machine!)).toBe('Fixture CPU @ 3.10GHz, 4 cores, 15.6 GiB, Debian GNU/Linux 12 (bookworm)');
    expect(describeMachine(row('cnn-cifar10', 'jax', 'h100', 'fp32').result!.machine!)).toBe(
      'Intel(R) Xeon(R) Platinum 8480+, 16 cores, 252 GiB, Ubuntu 24.04.3 LTS; NVIDIA H100 80GB HBM3, driver 580.82.07, CUDA 13.0',
    );
  });

  test("each section's machines line names every machine of its shown results, with cells, dates and median calibration", () => {
    const cnn = benchmarkMachines(report, 'cnn-cifar10');
    expect(cnn.map((m) => [m.label, m.cells, m.first?.slice(0, 10), m.last?.slice(0, 10)])).toEqual([
      // The stale keras-jax cpu fast is shown in the table, so it counts; the smoke row does not.
      ['machine A', 6, '2026-11-20', '2026-11-20'],
      ['machine B', 1, '2026-11-24', '2026-11-24'],
      ['machine C', 5, '2026-11-21', '2026-11-21'],
      ['machine D', 3, '2026-11-22', '2026-11-22'],
    ]);
    expect(cnn[1].cpuGflops).toBeCloseTo(96.2, 0);
    expect(cnn[0].gpuGflops).toBeNull();
    expect(cnn[2].gpuGflops).toBeCloseTo(48_100, -3);
    expect(describeMachineUse(cnn[1])).toBe(
      'machine B: Fixture CPU @ 3.10GHz, 4 cores, 15.6 GiB, Debian GNU/Linux 12 (bookworm); 1 cell, finished 2026-11-24; calibration GEMM median 96.4 GFLOP/s on the CPU.',
    );
    expect(describeMachineUse(cnn[2])).toMatch(/^machine C: .*NVIDIA H100 80GB HBM3, driver 580\.82\.07, CUDA 13\.0; 5 cells, finished 2026-11-21; calibration GEMM median \d+ GFLOP\/s on the CPU, [\d,]+ GFLOP\/s on the GPU\.$/);
  });

  test("a machine's line gives the CPU peak its results recorded, with its basis", () => {
    const recorded = withEnvironment(report, { cpu_peak_flops: { fp32: 166.15e9, basis: '16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 2 cores x 2.60 GHz', ceiling: false } });
    const b = benchmarkMachines(recorded, 'cnn-cifar10')[1];
    expect(b.cpuPeak?.fp32).toBe(166.15e9);
    expect(describeMachineUse(b)).toBe(
      'machine B: Fixture CPU @ 3.10GHz, 4 cores, 15.6 GiB, Debian GNU/Linux 12 (bookworm); 1 cell, finished 2026-11-24; CPU fp32 peak 166 GFLOP/s (16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 2 cores x 2.60 GHz); calibration GEMM median 96.4 GFLOP/s on the CPU.',
    );
  });

  test('results without a machine are listed as "machine not recorded", last', () => {
    const resnet = benchmarkMachines(report, 'resnet50-features');
    expect(resnet.map((m) => m.label)).toEqual(['machine A', 'machine C', 'machine D', 'machine not recorded']);
    expect(describeMachineUse(resnet.at(-1)!)).toBe(
      'machine not recorded: results stored before machines were recorded; 1 cell, finished 2026-10-03; no calibration recorded.',
    );
  });

  test('a benchmark without results has no machines', () => {
    expect(benchmarkMachines({ ...report, datasets: [] }, 'cnn-cifar10')).toEqual([]);
  });
});
