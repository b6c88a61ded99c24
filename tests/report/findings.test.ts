import { beforeAll, describe, expect, test } from 'vitest';
import { benchmarkFindings, fastSpeedups, fastest, groups, measuredRows, peakFractions, relativeSpeeds, spreads } from '../../src/report/findings.ts';
import { machineKey, machineLabels } from '../../src/report/machines.ts';
import type { Report } from '../../src/report/model.ts';
import { fixtureReport, withEnvironment } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const group = (target: string, mode: string) => (item: { target: string; mode: string }) => item.target === target && item.mode === mode;
/** The fixture's machines by label: A and B measured cpu cells, C the h100 ones, D the h200 ones. */
const machine = (label: string) => [...machineLabels(report)].find(([, l]) => l === label)![0];
const on = (target: string, label: string, mode: string) => (item: { target: string; machine: string; mode: string }) =>
  item.target === target && item.machine === machine(label) && item.mode === mode;

describe('findings on the fixture datasets', () => {
  test('only ok, current results outside the smoke profile count', () => {
    const rows = measuredRows(report, 'cnn-cifar10');
    expect(rows.every((row) => row.status === 'ok' && row.profile !== 'smoke')).toBe(true);
    // 14 ok cells in the fixture's cnn-cifar10 plan; the stale keras-jax cpu/fast and the smoke row are out.
    expect(rows).toHaveLength(14);
    expect(rows.some((row) => row.framework === 'keras-jax' && row.target === 'cpu' && row.mode === 'fast')).toBe(false);
  });

  test('the fastest framework per target, machine and mode is the lowest median time', () => {
    const all = fastest(report, 'cnn-cifar10');
    // keras-jax's cpu fp32 ran on machine B, so machine A's group has three frameworks, not four.
    expect(all.find(on('cpu', 'machine A', 'fp32'))).toMatchObject({ winner: { framework: 'pytorch', seconds: 20 }, runnerUp: { framework: 'jax', seconds: 25 }, count: 3 });
    expect(all.find(group('h100', 'fp32'))).toMatchObject({ winner: { framework: 'jax', seconds: 24 }, count: 3 });
    // jax timed out on h200 fast: pytorch is the only measured framework there.
    expect(all.find(group('h200', 'fast'))).toMatchObject({ winner: { framework: 'pytorch', seconds: 11 }, runnerUp: null, count: 1 });
  });

  test('groups follow the declared target order, then the machines, fp32 before fast', () => {
    const labels = machineLabels(report);
    expect(fastest(report, 'cnn-cifar10').map((f) => `${f.target}/${labels.get(f.machine)}/${f.mode}`)).toEqual([
      'cpu/machine A/fp32', 'cpu/machine A/fast', 'cpu/machine B/fp32', 'h100/machine C/fp32', 'h100/machine C/fast', 'h200/machine D/fp32', 'h200/machine D/fast',
    ]);
  });

  test('no group, and so no rank, spread or relative speed, holds results of two machines', () => {
    for (const benchmark of report.benchmarks) {
      for (const { group: g, rows } of groups(report, benchmark.id)) {
        expect(new Set(rows.map(machineKey)), `${benchmark.id} ${g.target} ${g.mode}`).toEqual(new Set([g.machine]));
      }
    }
    // The lone machine-B result is the fastest of its own machine, not 20/32 of machine A's PyTorch.
    const keras = relativeSpeeds(report, 'cnn-cifar10').find((r) => r.framework === 'keras-jax' && r.target === 'cpu' && r.mode === 'fp32');
    expect(keras).toMatchObject({ machine: machine('machine B'), relative: 1 });
    expect(fastest(report, 'cnn-cifar10').find(on('cpu', 'machine B', 'fp32'))).toMatchObject({ winner: { framework: 'keras-jax' }, runnerUp: null, count: 1 });
  });

  test('an older result without a machine is ranked only with other such results', () => {
    const all = fastest(report, 'resnet50-features').filter(group('cpu', 'fp32'));
    expect(all.map((f) => [f.winner.framework, f.count, machineLabels(report).get(f.machine)])).toEqual([
      ['pytorch', 2, 'machine A'],
      ['tensorflow', 1, 'machine not recorded'],
    ]);
  });

  test('every figure a finding takes from a noisy result is flagged noisy', () => {
    // cnn jax cpu fast: the calibration moved; gru jax h100 fp32: the repeats spread.
    expect(fastest(report, 'cnn-cifar10').find(on('cpu', 'machine A', 'fast'))).toMatchObject({
      winner: { framework: 'pytorch', noisy: false },
      runnerUp: { framework: 'jax', noisy: true },
    });
    expect(spreads(report, 'gru-imdb').find(group('h100', 'fp32'))).toMatchObject({ slowest: { framework: 'jax', noisy: true }, fastest: { noisy: false } });
    expect(fastSpeedups(report, 'gru-imdb').find((s) => s.framework === 'jax' && s.target === 'h100')).toMatchObject({ noisy: true });
    expect(relativeSpeeds(report, 'cnn-cifar10').filter((r) => r.noisy).map((r) => `${r.framework}/${r.target}/${r.mode}`)).toEqual(['jax/cpu/fast']);
  });

  test('the spread is the slowest time over the fastest, only where two or more frameworks ran', () => {
    const all = spreads(report, 'cnn-cifar10');
    expect(all.find(group('h100', 'fp32'))).toMatchObject({ fastest: { framework: 'jax' }, slowest: { framework: 'keras-jax' }, ratio: 1.5 });
    // keras-jax (32 s) ran on machine B: machine A's spread is TensorFlow's 27 s over PyTorch's 20 s.
    expect(all.find(on('cpu', 'machine A', 'fp32'))?.ratio).toBeCloseTo(27 / 20);
    expect(all.find(group('h200', 'fast'))).toBeUndefined();
  });

  test('fast-mode speed-up is fp32 time over fast time, only when both modes are current', () => {
    const all = fastSpeedups(report, 'cnn-cifar10');
    expect(all.find((s) => s.framework === 'pytorch' && s.target === 'h100')?.speedup).toBeCloseTo(2.5);
    expect(all.find((s) => s.framework === 'jax' && s.target === 'h100')?.speedup).toBeCloseTo(2.4);
    // keras-jax: cpu fast is stale and h100 fast failed; jax h200 fast timed out.
    expect(all.filter((s) => s.framework === 'keras-jax')).toEqual([]);
    expect(all.find((s) => s.framework === 'jax' && s.target === 'h200')).toBeUndefined();
    // Within a target, the largest speed-up comes first.
    expect(all.filter((s) => s.target === 'h100').map((s) => s.framework)).toEqual(['pytorch', 'jax']);
  });

  test('no fast-mode speed-up pairs an fp32 and a fast result of different machines', () => {
    // gru pytorch cpu: fp32 on machine A (12 s), fast on the faster machine B (5 s).
    const all = fastSpeedups(report, 'gru-imdb');
    expect(all.find((s) => s.framework === 'pytorch' && s.target === 'cpu')).toBeUndefined();
    expect(all.find((s) => s.framework === 'jax' && s.target === 'cpu')).toMatchObject({ machine: machine('machine A'), speedup: 15 / 14 });
  });

  test('fraction of peak divides achieved FLOP/s by the peak of the mode precision', () => {
    const all = peakFractions(report, 'cnn-cifar10');
    // jax on h100 fp32: 500,000 images in 24 s x 375 MFLOP per image over 67 TFLOP/s.
    const fp32 = all.find((p) => p.framework === 'jax' && p.target === 'h100' && p.mode === 'fp32')!;
    expect(fp32.precision).toBe('fp32');
    expect(fp32.fraction).toBeCloseTo(((500000 / 24) * 375e6) / 67e12, 4);
    const fast = all.find((p) => p.framework === 'jax' && p.target === 'h100' && p.mode === 'fast')!;
    expect(fast.precision).toBe('bf16');
    expect(fast.fraction).toBeCloseTo(((500000 / 10) * 375e6) / 989e12, 4);
    // The CPU target declares no peak, and the fixture's results recorded none.
    expect(all.some((p) => p.target === 'cpu')).toBe(false);
  });

  test("a cpu cell's fraction of peak is over the CPU peak recorded with its result; a GPU cell keeps its target's", () => {
    const peak = { fp32: 100e9, basis: '8 lanes (AVX) x 2 FMA units x 2 FLOP x 2 cores x 1.56 GHz', ceiling: false };
    const recorded = withEnvironment(report, { cpu_peak_flops: peak }, ['torch.compile']);
    const all = peakFractions(recorded, 'cnn-cifar10');
    const median = (mode: string) => measuredRows(recorded, 'cnn-cifar10').find((r) => r.framework === 'pytorch' && r.target === 'cpu' && r.mode === mode)!.result.throughput.median;
    const cpu = all.find((p) => p.framework === 'pytorch' && p.target === 'cpu' && p.mode === 'fp32')!;
    expect(cpu).toMatchObject({ precision: 'fp32', peak: 100e9, recorded: true, basis: `recorded with the result: ${peak.basis}` });
    expect(cpu.fraction).toBeCloseTo((median('fp32') * 375e6) / 100e9, 6);
    // Fast mode on the CPU computes in fp32 (its fast path names no bf16): the same fp32 peak.
    expect(all.find((p) => p.framework === 'pytorch' && p.target === 'cpu' && p.mode === 'fast')).toMatchObject({ precision: 'fp32', peak: 100e9 });
    const h100 = all.find((p) => p.framework === 'jax' && p.target === 'h100' && p.mode === 'fp32')!;
    expect(h100).toMatchObject({ peak: 67e12, recorded: false });
  });

  test('a cpu result whose fast path names bf16, or that recorded no peak, has no fraction of peak', () => {
    // The fixture's cpu fast results name bf16 ('bf16 autocast', 'bf16 params and activations').
    const bf16 = withEnvironment(report, { cpu_peak_flops: { fp32: 100e9, basis: 'x', ceiling: true } });
    expect(peakFractions(bf16, 'cnn-cifar10').some((p) => p.target === 'cpu' && p.mode === 'fast')).toBe(false);
    expect(peakFractions(bf16, 'cnn-cifar10').some((p) => p.target === 'cpu' && p.mode === 'fp32')).toBe(true);
    expect(peakFractions(withEnvironment(report, { cpu_peak_flops: null }), 'cnn-cifar10').some((p) => p.target === 'cpu')).toBe(false);
  });

  test('a benchmark without a FLOP count has no fraction of peak', () => {
    expect(peakFractions(report, 'gru-imdb')).toEqual([]);
  });

  test('relative speed is 1 for the fastest and falls with time', () => {
    const h100 = relativeSpeeds(report, 'cnn-cifar10').filter(group('h100', 'fp32'));
    expect(h100.map((r) => [r.framework, r.relative])).toEqual([
      ['jax', 1],
      ['pytorch', 24 / 30],
      ['keras-jax', 24 / 36],
    ]);
  });

  test('a benchmark without a dataset has no findings rather than an error', () => {
    const empty = { ...report, datasets: [] };
    expect(benchmarkFindings(empty, 'cnn-cifar10')).toEqual({ excluded: [], benchmark: 'cnn-cifar10', measured: 0, fastest: [], spreads: [], speedups: [], peaks: [] });
  });
});
