import { beforeAll, describe, expect, test } from 'vitest';
import { frameworkTable } from '../../src/report/frameworks.ts';
import type { Report } from '../../src/report/model.ts';
import { REFERENCE_2017, Reference2017Schema } from '../../src/report/reference.ts';
import data from '../../content/reference/2017.json' with { type: 'json' };
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const rowOf = (name: string) => frameworkTable(report).find((row) => row.study.includes(name))!;

describe('the framework table, 2017 and today', () => {
  test("every framework the study's tables name has one row, and so has every framework of today's matrix", () => {
    const rows = frameworkTable(report);
    const tableNames = Object.values(REFERENCE_2017.benchmarks).flatMap((benchmark) => benchmark.rows.map((row) => row.framework));
    for (const name of tableNames) expect(rows.filter((row) => row.study.includes(name)), name).toHaveLength(1);
    for (const framework of report.frameworks) expect(rows.filter((row) => row.framework === framework.id), framework.id).toHaveLength(1);
    expect(rows).toHaveLength(REFERENCE_2017.frameworks.rows.length + 2);
    // Frameworks new since 2017 follow the study's, in declared order.
    expect(rows.slice(-2).map((row) => [row.study, row.framework])).toEqual([[[], 'jax'], [[], 'keras-jax']]);
  });

  test('a framework of today runs the benchmarks it has results for, with the versions they recorded, and says why not the others', () => {
    expect(rowOf('PyTorch')).toMatchObject({ framework: 'pytorch', status: 'runs', statusText: 'runs 3 of 3 benchmarks', version: '2.11.0, 2.13.0', reason: null, reproduce: 'npm run build -- --framework pytorch' });
    const keras = frameworkTable(report).find((row) => row.framework === 'keras-jax')!;
    expect(keras).toMatchObject({ statusText: 'runs 2 of 3 benchmarks', version: '3.12.0', reason: 'resnet50-features: no runner (Fixture: the Keras runners of this fixture train only)' });
    // TensorFlow's gru-imdb cells are all unavailable in the fixture: written, never measured.
    expect(rowOf('Tensorflow')).toMatchObject({ statusText: 'runs 2 of 3 benchmarks', reason: 'gru-imdb: no result yet' });
    // Without results nothing is said to run.
    const unmeasured = frameworkTable({ ...report, datasets: [] }).find((row) => row.framework === 'keras-jax')!;
    expect(unmeasured).toMatchObject({ status: 'not-measured', statusText: 'not measured yet (runners for 2 of 3 benchmarks)', version: null });
  });

  test('a framework that cannot run shows its last release, the exact reason and the command that repeats the attempt', () => {
    expect(rowOf('CNTK')).toMatchObject({ framework: null, status: 'cannot-run', statusText: 'cannot run', version: 'cntk 2.7.post2', released: '2020-12-09', reproduce: 'python3.11 -m pip download cntk==2.7.post2 --no-deps -d /tmp/cntk' });
    expect(rowOf('CNTK').reason).toMatch(/no release for Python 3\.11.*CPython 2\.7, 3\.5 and 3\.6 only/);
    expect(rowOf('Caffe2')).toMatchObject({ status: 'cannot-run', released: '2018-07-10', reproduce: 'python3.11 -m pip download caffe2 --no-deps -d /tmp/caffe2' });
    expect(rowOf('Keras (CNTK)')).toMatchObject({ status: 'cannot-run', version: 'keras 2.3.1, the last multi-backend Keras' });
    expect(rowOf('Julia - Knet')).toMatchObject({ status: 'cannot-run', version: null, reproduce: 'apt-get update && apt-cache policy julia' });
    expect(rowOf('R - MXNet')).toMatchObject({ status: 'not-attempted', statusText: 'not attempted this round' });
  });

  test("a framework of today that runs in place of the study's, which cannot, carries that attempt with its reason and command", () => {
    const lasagne = rowOf('Lasagne (Theano)');
    expect(lasagne.framework).toBe('theano');
    expect(lasagne.standsIn).toMatchObject({ last_version: 'lasagne 0.1 (PyPI)', released: '2015-08-13' });
    expect(lasagne.standsIn!.reason).toMatch(/does not import with Theano 1\.0\.5/);
    expect(lasagne.standsIn!.reproduce).toContain('Lasagne==0.1');
    expect(rowOf('PyTorch').standsIn).toBeNull();
    const r = rowOf('R - Keras (TF)'); // R's keras package cannot be installed; R drives Keras through reticulate instead
    expect(r.framework).toBe('r-keras');
    expect(r.standsIn!.reason).toMatch(/CRAN only/);
  });

  test("a study framework whose framework of today is not declared is shown as not declared, never as running", () => {
    // The fixture declares no gluon record.
    expect(rowOf('MXNet (Gluon API)')).toMatchObject({ study: ['MXNet (Gluon)', 'MXNet (Gluon API)'], framework: 'gluon', status: 'not-declared', frameworkName: null });
  });

  test("the reference rejects a table's framework without a framework row, a name on two rows, and a row both of today and unable to run", () => {
    const copy = () => structuredClone(data) as any;
    const messages = (value: unknown) => Reference2017Schema.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];
    const orphan = copy();
    orphan.frameworks.rows = orphan.frameworks.rows.filter((row: { names: string[] }) => !row.names.includes('CNTK'));
    expect(messages(orphan)).toContain('"CNTK" has no framework row');
    const twice = copy();
    twice.frameworks.rows.push({ names: ['PyTorch'], today: 'pytorch' });
    expect(messages(twice)).toContain('"PyTorch" is named by more than one framework row');
    const both = copy();
    const cntk = both.frameworks.rows.find((row: { names: string[] }) => row.names.includes('CNTK'));
    cntk.today = 'pytorch';
    expect(Reference2017Schema.safeParse(both).success).toBe(false);
    const bare = copy();
    delete bare.frameworks.rows.find((row: { names: string[] }) => row.names.includes('CNTK')).cannot_run.reproduce;
    expect(Reference2017Schema.safeParse(bare).success).toBe(false);
  });
});
