import { beforeAll, describe, expect, test } from 'vitest';
import type { DatasetRow } from '../../src/pipeline/schemas.ts';
import { findRow } from '../../src/report/model.ts';
import type { Report } from '../../src/report/model.ts';
import { isCurrent, shownStatus, staleness } from '../../src/report/stale.ts';
import { fixtureReport } from './fixture-report.ts';

let report: Report;
beforeAll(async () => {
  report = await fixtureReport();
});

const row = (address: string): DatasetRow => {
  const [benchmark, framework, target, mode] = address.split('/');
  return findRow(report, { benchmark, framework, target, mode: mode as 'fp32' | 'fast' })!;
};
const current = { spec_version: 1 };

describe('stale detection', () => {
  test('a row the pipeline marked stale is stale, with the inputs that changed', () => {
    const stale = row('cnn-cifar10/keras-jax/cpu/fast');
    expect(staleness(stale, current)).toEqual({
      stale: true,
      reasons: ['inputs changed since it ran: files.tests/fixtures/runners/keras/cnn_cifar10.py'],
    });
    expect(isCurrent(stale, current)).toBe(false);
  });

  test('an ok row whose entry is not the current key reads as stale', () => {
    const ok = row('cnn-cifar10/pytorch/cpu/fp32');
    const moved = { ...ok, key: 'f'.repeat(64) };
    expect(staleness(ok, current).stale).toBe(false);
    expect(staleness(moved, current)).toMatchObject({ stale: true, reasons: [expect.stringContaining('is not the current key')] });
    expect(shownStatus(moved, current)).toBe('stale');
    expect(isCurrent(moved, current)).toBe(false);
  });

  test('a result measured under an older spec version is stale', () => {
    const ok = row('gru-imdb/pytorch/h100/fp32');
    const old = { ...ok, inputs: { ...ok.inputs!, spec_version: 0 } };
    expect(staleness(old, current).reasons).toEqual(['measured under spec v0; the current spec is v1']);
    expect(staleness(ok, { spec_version: 0 }).stale).toBe(false);
  });

  test('failed and unmeasured rows are not stale, just not current', () => {
    for (const address of ['cnn-cifar10/keras-jax/h100/fast', 'cnn-cifar10/keras-jax/h200/fp32', 'resnet50-features/keras-jax/cpu/fp32']) {
      expect(staleness(row(address), current).stale).toBe(false);
      expect(isCurrent(row(address), current)).toBe(false);
    }
  });
});
