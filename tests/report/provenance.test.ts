import { beforeAll, describe, expect, test } from 'vitest';
import { findRow, targetOf } from '../../src/report/model.ts';
import type { Report } from '../../src/report/model.ts';
import { calibrationReadings, environmentFacts, keyMatchesInputs, measureSteps, repeats, reproduceCommand, runnerCommand } from '../../src/report/provenance.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

describe('provenance of a cell', () => {
  test('the reproduction command names exactly that cell, and its profile only when it is not the target default', () => {
    const row = findRow(report, { benchmark: 'gru-imdb', framework: 'jax', target: 'h100', mode: 'fast' })!;
    expect(reproduceCommand(row, targetOf(report, 'h100'))).toBe('npm run build -- --benchmark gru-imdb --framework jax --target h100 --mode fast');
    expect(reproduceCommand({ ...row, target: 'cpu', profile: 'smoke' }, targetOf(report, 'cpu'))).toMatch(/--target cpu --mode fast --profile smoke$/);
  });

  test('a cell of an offline GPU target is measured by plan, execute-plan.py on the GPU machine, and ingest, never by a build here', () => {
    const row = findRow(report, { benchmark: 'gru-imdb', framework: 'jax', target: 'h100', mode: 'fast' })!;
    const steps = measureSteps(row, targetOf(report, 'h100')).map((step) => step.command);
    expect(steps).toEqual([
      'npm run plan -- --target h100 --benchmark gru-imdb --framework jax --mode fast',
      'python3 scripts/execute-plan.py plans/h100-<time>.json --bundle h100-bundle.json',
      'npm run ingest -- h100-bundle.json && npm run build -- --render-only',
    ]);
    expect(steps.join('\n')).not.toContain('npm run build -- --benchmark');
    const cpu = findRow(report, { benchmark: 'gru-imdb', framework: 'jax', target: 'cpu', mode: 'fast' })!;
    expect(measureSteps(cpu, targetOf(report, 'cpu')).map((step) => step.command)).toEqual(['npm run build -- --benchmark gru-imdb --framework jax --target cpu --mode fast']);
  });

  test('the recorded runner command is shown as run', () => {
    const row = findRow(report, { benchmark: 'gru-imdb', framework: 'jax', target: 'cpu', mode: 'fp32' })!;
    expect(runnerCommand(row)).toBe('PYTHONPATH=runners/lib python tests/fixtures/runners/jax/gru_imdb.py --cell -');
    expect(runnerCommand({ ...row, command: null })).toBeNull();
  });

  test('the key check recomputes the entry key from the inputs', () => {
    const row = findRow(report, { benchmark: 'cnn-cifar10', framework: 'keras-jax', target: 'cpu', mode: 'fast' })!;
    expect(keyMatchesInputs(row)).toBe(true);
    expect(keyMatchesInputs({ ...row, inputs: { ...row.inputs!, params: {} } })).toBe(false);
    expect(keyMatchesInputs({ ...row, inputs: null })).toBeNull();
  });

  test('the environment lists known fields in order, unknown ones after, and says unknown for nulls', () => {
    const facts = environmentFacts({ python: '3.12', framework: 'jax', cuda: null, extra_field: 'x', gpu_memory_bytes: 85899345920, tf32: false });
    expect(facts).toEqual([
      { label: 'Framework', value: 'jax' },
      { label: 'Python', value: '3.12' },
      { label: 'GPU memory', value: '80.0 GiB' },
      { label: 'CUDA', value: 'unknown' },
      { label: 'TF32', value: 'off' },
      { label: 'Extra field', value: 'x' },
    ]);
  });

  test("the CPU's peak reads as GFLOP/s with its basis", () => {
    const facts = environmentFacts({ cpu_count: 2, cpu_peak_flops: { fp32: 166.15e9, basis: '16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 2 cores x 2.60 GHz', ceiling: false } });
    expect(facts).toContainEqual({ label: 'CPU peak (fp32)', value: '166 GFLOP/s: 16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 2 cores x 2.60 GHz' });
  });

  test("on the CPU the GPU's fields read n/a, and recorded variables read as assignments", () => {
    const facts = environmentFacts({ device: 'cpu', gpu_name: null, cuda: null, tf32: false, cpu_model: null, variables: { OMP_WAIT_POLICY: 'PASSIVE' } });
    expect(facts).toEqual([
      { label: 'Device', value: 'cpu' },
      { label: 'GPU', value: 'n/a (ran on the CPU)' },
      { label: 'CUDA', value: 'n/a (ran on the CPU)' },
      { label: 'TF32', value: 'n/a (ran on the CPU)' },
      { label: 'CPU', value: 'unknown' },
      { label: 'Environment variables', value: 'OMP_WAIT_POLICY=PASSIVE' },
    ]);
  });

  test('every repeat sample is listed with its epochs and losses', () => {
    const row = findRow(report, { benchmark: 'cnn-cifar10', framework: 'pytorch', target: 'h100', mode: 'fp32' })!;
    const all = repeats(row.result!);
    expect(all.map((r) => r.metric)).toEqual(row.result!.metric.samples);
    expect(all[0]).toMatchObject({ repeat: 1, accuracy: 0.772 });
    expect(all[0].epochSeconds).toHaveLength(10);
  });

  test('each repeat shows its round and start, and a cell run alone says so', () => {
    const cpu = repeats(findRow(report, { benchmark: 'cnn-cifar10', framework: 'jax', target: 'cpu', mode: 'fast' })!.result!);
    expect(cpu.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(cpu.every((r) => r.startedAt !== null && r.startedAt.startsWith('2026-11-20T'))).toBe(true);
    const gpu = repeats(findRow(report, { benchmark: 'cnn-cifar10', framework: 'jax', target: 'h100', mode: 'fp32' })!.result!);
    expect(gpu.map((r) => r.round)).toEqual([null, null, null]);
    const older = repeats(findRow(report, { benchmark: 'resnet50-features', framework: 'tensorflow', target: 'cpu', mode: 'fp32' })!.result!);
    expect(older.every((r) => r.round === null && r.startedAt === null)).toBe(true);
  });

  test('the calibration readings are listed before each repeat and after the last, with what moved', () => {
    const readings = calibrationReadings(findRow(report, { benchmark: 'cnn-cifar10', framework: 'jax', target: 'cpu', mode: 'fast' })!.result!);
    expect(readings.map((r) => r.when)).toEqual(['before repeat 1', 'before repeat 2', 'before repeat 3', 'after repeat 3']);
    // The fixture's machine slowed down by a fifth under this (noisy) cell.
    expect(readings.at(-1)!.cpuGflops / readings[0].cpuGflops).toBeCloseTo(0.8, 1);
    expect(readings[0].gpuGflops).toBeNull();
    expect(calibrationReadings(findRow(report, { benchmark: 'resnet50-features', framework: 'tensorflow', target: 'cpu', mode: 'fp32' })!.result!)).toEqual([]);
  });
});
