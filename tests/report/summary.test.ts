import { beforeAll, describe, expect, test } from 'vitest';
import { benchmarkFindings } from '../../src/report/findings.ts';
import type { Report } from '../../src/report/model.ts';
import { findingLines } from '../../src/report/summary.ts';
import { fixtureReport, withEnvironment } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const lines = (benchmark: string) => findingLines(report, benchmarkFindings(report, benchmark)).map((line) => `${line.lead}${line.text}`);

describe('the key findings in words', () => {
  test('each fastest line names its machine, and machines get lines of their own', () => {
    const cnn = lines('cnn-cifar10');
    expect(cnn[0]).toMatch(/^CPU \(build machine\), cpu profile, machine A, fastest: in fp32, PyTorch with 20 s \(1\.25× as fast as JAX\);/);
    expect(cnn[1]).toBe('CPU (build machine), cpu profile, machine B, fastest: in fp32, Keras 3 (JAX backend) with 32 s (the only framework measured).');
    expect(lines('resnet50-features')).toContain(
      'CPU (build machine), cpu profile, machine not recorded, fastest: in fp32, TensorFlow with 50 s (noisy; the only framework measured).',
    );
  });

  test('a finding that quotes a noisy time says so', () => {
    expect(lines('cnn-cifar10')[0]).toContain('in fast, PyTorch with 16 s (1.25× as fast as JAX, whose time is noisy)');
    expect(lines('gru-imdb')).toContain('Largest spread between frameworks: on NVIDIA H100 SXM, machine C, in fp32, JAX (noisy) takes 2× as long as PyTorch.');
  });

  test('the fast-mode range never uses a speed-up across machines', () => {
    // gru pytorch cpu ran fp32 on machine A (12 s) and fast on the faster machine B (5 s): 2.4× would top the range.
    const range = lines('gru-imdb').find((line) => line.startsWith('Fast mode against fp32'))!;
    expect(range).toBe('Fast mode against fp32: from 1.06× faster (Keras 3 (JAX backend) on CPU (build machine), machine A) to 1.55× faster (PyTorch on NVIDIA H200, machine D).');
  });

  test("the highest fraction of peak says when its peak is the CPU's, recorded with the result, and when the target's", () => {
    const peak = (fp32: number, ceiling = true) => {
      const recorded = withEnvironment(report, { cpu_peak_flops: { fp32, basis: 'the clock when read', ceiling } }, ['torch.compile']);
      return findingLines(recorded, benchmarkFindings(recorded, 'cnn-cifar10')).find((line) => line.text.startsWith('Highest fraction'))!.text;
    };
    // PyTorch cpu fast: 160 images/s x 375 MFLOP = 60 GFLOP/s.
    expect(peak(100e9)).toBe('Highest fraction of peak: 60.0% of the fp32 peak recorded with the result on CPU (build machine) (PyTorch, fast, machine A).');
    expect(peak(100e9, false)).toMatch(/60\.0% of the fp32 peak .*\. That peak is an estimate, not an upper bound: the clock when read\.$/);
    expect(peak(50e9, false)).toMatch(/120\.0% .* estimate, not an upper bound: the clock when read; a result above it shows that the CPU runs faster than the clock it was computed from\.$/);
    expect(peak(1e15)).toMatch(/^Highest fraction of peak: [\d.]+% of the fp32 peak of NVIDIA H\d00/);
  });
});
