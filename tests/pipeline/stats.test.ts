import { describe, expect, test } from 'vitest';
import { benjaminiHochberg, median, ratioOfMedians, spread } from '../../src/pipeline/stats.ts';

describe('statistics', () => {
  test('median and spread of measurements', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spread([9, 10, 11])).toBeCloseTo(0.2);
    expect(() => median([])).toThrow();
  });

  test('the ratio of medians of clearly separated samples has an interval excluding 1 and a small p', () => {
    const estimate = ratioOfMedians([10, 10.2, 9.9], [13, 13.1, 12.8]);
    expect(estimate.ratio).toBeCloseTo(13 / 10);
    expect(estimate.low).toBeGreaterThan(1.2);
    expect(estimate.high).toBeLessThan(1.35);
    expect(estimate.p).toBeLessThan(0.01);
  });

  test('overlapping samples give an interval around 1 and a large p; the same inputs give the same answer', () => {
    const estimate = ratioOfMedians([10, 10.4, 9.8], [10.1, 9.9, 10.3]);
    expect(estimate.low).toBeLessThan(1);
    expect(estimate.high).toBeGreaterThan(1);
    expect(estimate.p).toBeGreaterThan(0.2);
    expect(ratioOfMedians([10, 10.4, 9.8], [10.1, 9.9, 10.3])).toEqual(estimate);
  });

  test('Benjamini-Hochberg keeps the p-values under their rank\'s share of the false discovery rate', () => {
    // Sorted: 0.001 <= 0.05/4, 0.01 <= 0.1/4... 0.03 <= 0.15/4 = 0.0375, 0.2 > 0.05.
    expect(benjaminiHochberg([0.2, 0.001, 0.03, 0.01], 0.05)).toEqual([false, true, true, true]);
    expect(benjaminiHochberg([0.04, 0.04, 0.04, 0.04, 0.04], 0.05)).toEqual([true, true, true, true, true]);
    expect(benjaminiHochberg([0.02, 0.5, 0.6, 0.7, 0.8], 0.05)).toEqual([false, false, false, false, false]);
  });
});
