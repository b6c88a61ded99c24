import { beforeAll, describe, expect, test } from 'vitest';
import { benchmarkFindings, fastSpeedups, fastest, measuredRows, peakFractions, relativeSpeeds, spreads } from '../../src/report/findings.ts';
import type { Report } from '../../src/report/model.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const group = (target: string, mode: string) => (item: { target: string; mode: string }) => item.target === target && item.mode === mode;

describe('findings on the fixture datasets', () => {
  test('only ok, current results outside the smoke profile count', () => {
    const rows = measuredRows(report, 'cnn-cifar10');
    expect(rows.every((row) => row.status === 'ok' && row.profile !== 'smoke')).toBe(true);
    // 14 ok cells in the fixture's cnn-cifar10 plan; the stale keras-jax cpu/fast and the smoke row are out.
    expect(rows).toHaveLength(14);
    expect(rows.some((row) => row.framework === 'keras-jax' && row.target === 'cpu' && row.mode === 'fast')).toBe(false);
  });

  test('the fastest framework per target and mode is the lowest median time', () => {
    const all = fastest(report, 'cnn-cifar10');
    expect(all.find(group('cpu', 'fp32'))).toMatchObject({ winner: { framework: 'pytorch', seconds: 20 }, runnerUp: { framework: 'jax', seconds: 25 }, count: 4 });
    expect(all.find(group('h100', 'fp32'))).toMatchObject({ winner: { framework: 'jax', seconds: 24 }, count: 3 });
    // jax timed out on h200 fast: pytorch is the only measured framework there.
    expect(all.find(group('h200', 'fast'))).toMatchObject({ winner: { framework: 'pytorch', seconds: 11 }, runnerUp: null, count: 1 });
  });

  test('groups follow the declared target order, fp32 before fast', () => {
    expect(fastest(report, 'cnn-cifar10').map((f) => `${f.target}/${f.mode}`)).toEqual([
      'cpu/fp32', 'cpu/fast', 'h100/fp32', 'h100/fast', 'h200/fp32', 'h200/fast',
    ]);
  });

  test('the spread is the slowest time over the fastest, only where two or more frameworks ran', () => {
    const all = spreads(report, 'cnn-cifar10');
    expect(all.find(group('h100', 'fp32'))).toMatchObject({ fastest: { framework: 'jax' }, slowest: { framework: 'keras-jax' }, ratio: 1.5 });
    expect(all.find(group('cpu', 'fp32'))?.ratio).toBeCloseTo(32 / 20);
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

  test('fraction of peak divides achieved FLOP/s by the peak of the mode precision', () => {
    const all = peakFractions(report, 'cnn-cifar10');
    // jax on h100 fp32: 500,000 images in 24 s x 375 MFLOP per image over 67 TFLOP/s.
    const fp32 = all.find((p) => p.framework === 'jax' && p.target === 'h100' && p.mode === 'fp32')!;
    expect(fp32.precision).toBe('fp32');
    expect(fp32.fraction).toBeCloseTo(((500000 / 24) * 375e6) / 67e12, 4);
    const fast = all.find((p) => p.framework === 'jax' && p.target === 'h100' && p.mode === 'fast')!;
    expect(fast.precision).toBe('bf16');
    expect(fast.fraction).toBeCloseTo(((500000 / 10) * 375e6) / 989e12, 4);
    // The CPU target declares no peak.
    expect(all.some((p) => p.target === 'cpu')).toBe(false);
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
    expect(benchmarkFindings(empty, 'cnn-cifar10')).toEqual({ benchmark: 'cnn-cifar10', measured: 0, fastest: [], spreads: [], speedups: [], peaks: [] });
  });
});
