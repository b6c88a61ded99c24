import { describe, expect, test } from 'vitest';
import { formatChecksum, formatDateRange, formatNumber, formatPercent, formatRange, formatRatio, formatTime, redactPaths, shellLine } from '../../src/report/format.ts';

describe('number formatting', () => {
  test('keeps three significant digits, with separators for large numbers', () => {
    expect([0.012345, 1.6, 12.34, 123.4, 4120.6, 50000].map((n) => formatNumber(n))).toEqual(['0.0123', '1.6', '12.3', '123', '4,121', '50,000']);
  });

  test('writes times in UTC and date ranges by day, one day once', () => {
    expect(formatTime('2026-11-20T09:01:37.000Z')).toBe('2026-11-20 09:01:37 UTC');
    expect(formatDateRange('2026-11-20T09:00:00Z', '2026-11-24T10:00:00Z')).toBe('2026-11-20 to 2026-11-24');
    expect(formatDateRange('2026-11-20T09:00:00Z', '2026-11-20T23:00:00Z')).toBe('2026-11-20');
  });

  test('writes percentages, ratios, ranges and checksums the same way every build', () => {
    expect(formatPercent(0.6134)).toBe('61.3%');
    expect(formatRatio(2.4567)).toBe('2.46×');
    expect(formatRange(9.7, 10.4, 's')).toBe('9.7–10.4 s');
    expect(formatChecksum(1234.5678)).toBe('1,234.5678');
  });
});

describe('commands and paths on pages', () => {
  test('a command becomes one line a POSIX shell reads back as the same arguments', () => {
    expect(shellLine(['npm', 'run', 'build', '--', '--benchmark', 'cnn-cifar10'])).toBe('npm run build -- --benchmark cnn-cifar10');
    expect(shellLine(['echo', "it's a test", '$HOME'])).toBe(`echo 'it'\\''s a test' '$HOME'`);
  });

  test("the build machine's folders are replaced, longest first, whole path segments only", () => {
    const folders = { '/work/main': '.', '/tmp': '$TMPDIR', '/root': '~' };
    expect(redactPaths('File "/work/main/.venvs/jax/lib/x.py", line 3', folders)).toBe('File "./.venvs/jax/lib/x.py", line 3');
    expect(redactPaths('/tmp/rosetta-cell-1/cell.json and /root/.cache', folders)).toBe('$TMPDIR/rosetta-cell-1/cell.json and ~/.cache');
    expect(redactPaths('/work/mainframe stays', folders)).toBe('/work/mainframe stays');
  });
});
