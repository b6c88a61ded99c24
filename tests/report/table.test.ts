import { beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { resultsTable } from '../../src/report/table.ts';
import type { ResultsTable } from '../../src/report/table.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
let table: ResultsTable;
beforeAll(async () => {
  report = await fixtureReport();
  table = resultsTable(report, 'cnn-cifar10')!;
});

const cell = (framework: string, target: string, mode: string) =>
  table.rows.find((r) => r.framework === framework)!.cells.find((c) => c.column.target === target && c.column.mode === mode)!;

describe('the results table', () => {
  test('has frameworks as rows sorted by speed (the fastest median on the first target first) and targets x modes as columns', () => {
    // On the cpu: PyTorch 16 s (fast), JAX 20 s (fast), TensorFlow 27 s, Keras 3 32 s.
    expect(table.rows.map((r) => r.name)).toEqual(['PyTorch', 'JAX', 'TensorFlow', 'Keras 3 (JAX backend)']);
    expect(table.groups.map((g) => [g.label, g.profile, g.span])).toEqual([
      ['CPU (build machine)', 'cpu', 2],
      ['NVIDIA H100 SXM', 'full', 2],
      ['NVIDIA H200', 'full', 2],
    ]);
    expect(table.columns.map((c) => `${c.target}/${c.mode}`)).toEqual(['cpu/fp32', 'cpu/fast', 'h100/fp32', 'h100/fast', 'h200/fp32', 'h200/fast']);
  });

  test('leaves the smoke profile out', () => {
    expect(table.columns.some((c) => c.profile === 'smoke')).toBe(false);
  });

  test('every cell that is not ok points at a note that says why; ok cells have none', () => {
    for (const row of table.rows) {
      for (const c of row.cells) {
        if (c.status === 'ok') expect(c.note).toBeNull();
        else expect(table.notes[c.note! - 1]).toBeTruthy();
      }
    }
    expect(table.notes[cell('keras-jax', 'h100', 'fast').note! - 1]).toBe(
      'failed: the runner exited with code 1: RuntimeError: mixed precision policy is not supported by this layer',
    );
    expect(table.notes[cell('keras-jax', 'cpu', 'fast').note! - 1]).toMatch(/^stale: inputs changed since it ran/);
  });

  test('one note per distinct reason, written for readers, and a reason that names its status is not prefixed twice', () => {
    expect(cell('tensorflow', 'h100', 'fp32').note).toBe(cell('tensorflow', 'h200', 'fast').note);
    expect(table.notes.filter((n) => n.includes('needs the NVIDIA H200'))).toEqual([
      'not measured yet: it needs the NVIDIA H200, which the build machine does not have; its page says how to measure it',
    ]);
  });

  test('a noisy value carries a visible "noisy" note that says why; a steady one has none', () => {
    const noisy = cell('jax', 'cpu', 'fast');
    expect(noisy.status).toBe('ok');
    expect(table.notes[noisy.noisyNote! - 1]).toBe('noisy: the CPU calibration moved 15% during the cell (limit 10%)');
    for (const row of table.rows) {
      for (const c of row.cells) expect(c.noisyNote === null, `${row.framework} ${c.column.target} ${c.column.mode}`).toBe(!c.row?.noisy.length);
    }
    const older = resultsTable(report, 'resnet50-features')!;
    const tensorflow = older.rows.find((r) => r.framework === 'tensorflow')!.cells.find((c) => c.column.target === 'cpu' && c.column.mode === 'fp32')!;
    expect(older.notes[tensorflow.noisyNote! - 1]).toBe('noisy: no calibration was recorded: whether the machine was steady is unknown');
  });

  test('each column group names its machines, and one that mixes machines says so and names each value\'s machine', () => {
    expect(table.groups.map((g) => [g.target, g.machines, g.caveat])).toEqual([
      ['cpu', ['machine A', 'machine B'], 'measured on different machines'],
      ['h100', ['machine C'], null],
      ['h200', ['machine D'], null],
    ]);
    expect(cell('keras-jax', 'cpu', 'fp32').machine).toBe('machine B');
    expect(cell('pytorch', 'cpu', 'fp32').machine).toBe('machine A');
    // A cell without numbers, or in a one-machine group, needs no machine of its own.
    expect(cell('tensorflow', 'cpu', 'fast').machine).toBeNull();
    expect(cell('pytorch', 'h100', 'fp32').machine).toBeNull();
    const older = resultsTable(report, 'resnet50-features')!;
    expect(older.groups[0]).toMatchObject({ machines: ['machine A', 'machine not recorded'], caveat: 'measured on different machines' });
  });

  test('a benchmark without a dataset has no table', () => {
    expect(resultsTable({ ...report, datasets: [] }, 'cnn-cifar10')).toBeNull();
  });
});

describe('a target where nothing is measured', () => {
  test('takes one column for all its modes, whose cells say each status once, with its note, and link every mode', () => {
    const unmeasured: Report = {
      ...report,
      datasets: report.datasets.map((d) => ({
        ...d,
        rows: d.rows.map((row) => (row.target === 'h200' ? { ...row, status: 'not-measured' as const, result: null, reason: 'not measured yet: needs the NVIDIA H200 (see the GPU flow in the README)' } : row)),
      })),
    };
    const collapsed = resultsTable(unmeasured, 'cnn-cifar10')!;
    expect(collapsed.groups.map((g) => [g.target, g.span])).toEqual([['cpu', 2], ['h100', 2], ['h200', 1]]);
    expect(collapsed.columns.filter((c) => c.target === 'h200')).toEqual([{ target: 'h200', profile: 'full', mode: null }]);
    const pytorch = collapsed.rows.find((r) => r.framework === 'pytorch')!.cells.at(-1)!;
    expect(pytorch.modes!.map((m) => [m.mode, m.status])).toEqual([['fp32', 'not-measured'], ['fast', 'not-measured']]);
    expect(new Set(pytorch.modes!.map((m) => m.note))).toEqual(new Set([pytorch.modes![0].note]));
    expect(collapsed.notes[pytorch.modes![0].note! - 1]).toMatch(/^not measured yet: it needs the NVIDIA H200/);
    // Measured targets keep a column per mode.
    expect(collapsed.rows[0].cells.filter((c) => c.column.target === 'cpu').map((c) => c.modes)).toEqual([null, null]);
  });
});
