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
  test('has frameworks as rows in declaration order and targets x modes as columns', () => {
    expect(table.rows.map((r) => r.name)).toEqual(['JAX', 'Keras 3 (JAX backend)', 'PyTorch', 'TensorFlow']);
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

  test('one note per distinct reason, and a reason that names its status is not prefixed twice', () => {
    expect(cell('tensorflow', 'h100', 'fp32').note).toBe(cell('tensorflow', 'h200', 'fast').note);
    expect(table.notes.filter((n) => n.includes('needs the NVIDIA H200'))).toEqual([
      'not measured yet: needs the NVIDIA H200 (see the GPU flow in the README)',
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
