// The committed results themselves (content/results/, as the build wrote them): a framework's fast
// mode is its best documented fast path, so a fast cell measured slower than its fp32 cell, beyond
// the two cells' noise, is a fast path that is not fast (or not what the runner thinks it runs) and
// is to be mended or re-measured, not published. Beyond the noise: every repeat of the fast cell is
// slower than every repeat of the fp32 cell (their min-max ranges do not overlap). Only pairs that
// are both current (ok, not stale) and measured on the same machine are compared.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DatasetSchema } from '../../src/pipeline/schemas.ts';
import type { DatasetRow } from '../../src/pipeline/schemas.ts';
import { isCurrent } from '../../src/report/stale.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'content', 'results');

type Current = DatasetRow & { result: NonNullable<DatasetRow['result']> };

/** Every fast cell with its fp32 cell: same benchmark, framework, target and profile, both current, on one machine. */
function pairs(): { address: string; fast: Current; fp32: Current }[] {
  return readdirSync(RESULTS)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => {
      const dataset = DatasetSchema.parse(JSON.parse(readFileSync(join(RESULTS, name), 'utf8')));
      const current = dataset.rows.filter((row): row is Current => isCurrent(row, dataset));
      return current
        .filter((row) => row.mode === 'fast')
        .flatMap((fast) => {
          const fp32 = current.find((row) => row.mode === 'fp32' && row.framework === fast.framework && row.target === fast.target && row.profile === fast.profile);
          if (!fp32 || (fast.result.machine?.id ?? null) !== (fp32.result.machine?.id ?? null)) return [];
          return [{ address: `${fast.benchmark}/${fast.framework}/${fast.target} (${fast.profile} profile)`, fast, fp32 }];
        });
    });
}

const compared = pairs();
const seconds = (row: Current) => `${row.result.metric.median.toFixed(1)} s (${row.result.metric.min.toFixed(1)}–${row.result.metric.max.toFixed(1)})`;

describe('fast mode in the committed results', () => {
  test('there are fast and fp32 pairs to compare, each timed in seconds (lower is faster)', () => {
    expect(compared.length).toBeGreaterThan(0);
    for (const { fast, fp32 } of compared) expect([fast.result.metric.unit, fp32.result.metric.unit]).toEqual(['s', 's']);
  });

  test.each(compared.map((pair) => [pair.address, pair] as const))('%s: fast is not slower than fp32 beyond their noise', (_, { fast, fp32 }) => {
    const slower = fast.result.metric.min > fp32.result.metric.max;
    expect(slower, `fast ${seconds(fast)} against fp32 ${seconds(fp32)}: every fast repeat is slower`).toBe(false);
  });
});
