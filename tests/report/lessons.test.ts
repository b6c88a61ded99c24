import { beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { lessons } from '../../src/report/lessons.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const lesson = (r: Report, topic: string) => lessons(r).find((l) => l.topic === topic)?.text;

describe('lessons learned', () => {
  test('compiling on the CPU: how many compiled fast modes beat fp32, from the least to the most, and whether their fast paths add reduced precision', () => {
    // The fixture's fast paths list their GPU steps (bf16) on the cpu too.
    expect(lesson(report, 'Compiling on the CPU')).toBe(
      'On the CPU, the compiled fast mode (XLA, torch.compile, jit_compile) is faster than fp32 in 5 of 5 cells: from 1.07× faster for JAX (XLA; GRU on IMDB sentiment, CPU (build machine)) to 1.33× faster for PyTorch (torch.compile; ResNet-50 feature extraction, CPU (build machine)). 5 of their fast paths also list reduced precision (bf16, TF32).',
    );
  });

  test('the warm-up lesson follows the warm-up times, and names the largest extra warm-up', () => {
    expect(lesson(report, 'Compilation is paid in the warm-up')).toBe('None of the 14 compiled fast modes warms up longer than its fp32 mode here.');
    const slowStart = structuredClone(report);
    const row = slowStart.datasets.find((d) => d.benchmark === 'cnn-cifar10')!.rows.find((r) => r.framework === 'pytorch' && r.target === 'h100' && r.mode === 'fast')!;
    row.result = { ...row.result!, warmup_s: 95 };
    expect(lesson(slowStart, 'Compilation is paid in the warm-up')).toMatch(/^1 of 14 compiled fast modes warm up longer .* The most: PyTorch \(.*CNN on CIFAR-10, NVIDIA H100 SXM\) warms up in 95 s against /);
  });

  test('fused RNN kernels, data placement and the checks are counted from the results', () => {
    expect(lesson(report, 'Fused RNN kernels')).toBe('4 of 12 recurrent results ran a fused RNN kernel (PyTorch); 8 did not (JAX, Keras 3 (JAX backend), PyTorch).');
    expect(lesson(report, 'Where the data lives')).toBe('Of 37 current results, 37 in host memory.');
    expect(lesson(report, 'The same network, learning the same')).toMatch(/^4 of 6 current Rosetta checks pass/);
  });

  test('with nothing measured there is no lesson about results', () => {
    const empty = { ...report, datasets: [] };
    expect(lessons(empty).map((l) => l.topic)).toEqual([]);
  });
});
