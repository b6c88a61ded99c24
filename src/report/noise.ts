// Noisy results: the pipeline marks a row noisy (noiseOf in src/pipeline/datasets.ts) when the
// machine's calibration moved under the cell or its repeats spread beyond a threshold. The report
// keeps noisy numbers, ranks them like the others, and never shows or quotes one without saying so.
import type { DatasetRow } from '../pipeline/schemas.ts';

export function isNoisy(row: Pick<DatasetRow, 'noisy'>): boolean {
  return row.noisy.length > 0;
}

/** What a noisy cell's note says: "noisy: its repeats spread 30% of their median (limit 15%)"; null when it is not noisy. */
export function noiseNote(row: Pick<DatasetRow, 'noisy'>): string | null {
  return isNoisy(row) ? `noisy: ${row.noisy.join('; ')}` : null;
}
