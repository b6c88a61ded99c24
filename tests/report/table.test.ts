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

  test('a benchmark without a dataset has no table', () => {
    expect(resultsTable({ ...report, datasets: [] }, 'cnn-cifar10')).toBeNull();
  });
});
