import { beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { REFERENCE_2017, studyFramework, todayOf } from '../../src/report/reference.ts';
import { thenAndNow } from '../../src/report/then-and-now.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

describe('2017 against today', () => {
  test('the reference dataset holds the three benchmarks of the study with its source', () => {
    expect(Object.keys(REFERENCE_2017.benchmarks).sort()).toEqual(['cnn-cifar10', 'gru-imdb', 'resnet50-features']);
    expect(REFERENCE_2017.source.url).toMatch(/^https:\/\/github\.com\/ilkarman\/DeepLearningFrameworks\/blob\/671e2a0\//);
    expect(REFERENCE_2017.benchmarks['cnn-cifar10'].rows.find((row) => row.framework === 'PyTorch')).toMatchObject({ k80: 169, p100: 51 });
    expect(todayOf(studyFramework(REFERENCE_2017, 'PyTorch'))).toBe('pytorch');
    expect(REFERENCE_2017.benchmarks['resnet50-features'].rows.find((row) => row.framework === 'MXNet (Gluon)')).toMatchObject({ k80: null, p100: 1.7 });
  });

  test("a speed-up over the P100 only where today's fp32 cell is measured at the study's profile", () => {
    const cnn = thenAndNow(report, 'cnn-cifar10')!;
    expect(cnn.targets.map((t) => t.id)).toEqual(['h100', 'h200']);
    const pytorch = cnn.rows.find((row) => row.name === 'PyTorch')!;
    // 51 s on a P100 in 2017; 30 s on the fixture's H100 and 28 s on its H200, in fp32.
    expect(pytorch.today.map((t) => [t.target, t.seconds, t.text])).toEqual([
      ['h100', 30, '1.7× faster than the P100'],
      ['h200', 28, '1.82× faster than the P100'],
    ]);
    // TensorFlow is measured only on the cpu: its scaled-down workload is not the study's.
    const tensorflow = cnn.rows.find((row) => row.name === 'Tensorflow')!;
    expect(tensorflow.today.every((t) => !t.compared && t.text === 'not compared: measured only at another profile than the 2017 workload')).toBe(true);
    // Frameworks of 2017 that today's matrix lacks are listed, not compared.
    expect(cnn.rows.find((row) => row.name === 'Caffe2')).toMatchObject({ framework: null, today: [] });
    // PyTorch on both GPUs: of the fixture's frameworks only PyTorch and TensorFlow were in the 2017 study.
    expect(cnn.compared).toBe(2);
  });

  test('a CPU-only report compares nothing, and says so per framework', () => {
    const cpuOnly = { ...report, datasets: report.datasets.map((d) => ({ ...d, rows: d.rows.filter((row) => row.target === 'cpu') })) };
    const found = thenAndNow(cpuOnly, 'gru-imdb')!;
    expect(found.compared).toBe(0);
    expect(found.rows.find((row) => row.name === 'PyTorch')!.today.map((t) => t.text)).toEqual([
      'not compared: measured only at another profile than the 2017 workload',
      'not compared: measured only at another profile than the 2017 workload',
    ]);
  });
});
