// Stale detection: a result is stale when it was measured under inputs that are no longer the
// current ones. The pipeline marks the rows it knows about; the report also catches results of an
// older spec and keys that do not match, so a stale number is never presented as current.
import { SPEC_VERSION } from '../pipeline/schemas.ts';
import type { CellStatus, Dataset, DatasetRow } from '../pipeline/schemas.ts';

export interface Staleness {
  stale: boolean;
  /** Why, in words a reader can act on. */
  reasons: string[];
}

export function staleness(row: DatasetRow, dataset: Pick<Dataset, 'spec_version'>, specVersion = SPEC_VERSION): Staleness {
  const reasons: string[] = [];
  if (row.status === 'stale') reasons.push(row.reason ?? 'inputs changed since it ran');
  else if (row.status === 'ok' && row.key !== null && row.entry_key !== null && row.key !== row.entry_key) {
    reasons.push(`its cache entry ${row.entry_key.slice(0, 12)} is not the current key ${row.key.slice(0, 12)}`);
  }
  const measuredUnder = row.inputs?.spec_version ?? dataset.spec_version;
  if (row.result !== null && measuredUnder !== specVersion) {
    reasons.push(`measured under spec v${measuredUnder}; the current spec is v${specVersion}`);
  }
  return { stale: reasons.length > 0, reasons };
}

/** The status the report shows: a row the pipeline calls ok but that is stale reads as stale. */
export function shownStatus(row: DatasetRow, dataset: Pick<Dataset, 'spec_version'>): CellStatus {
  return row.status === 'ok' && staleness(row, dataset).stale ? 'stale' : row.status;
}

/** A result the findings may use: ok, current, with numbers. */
export function isCurrent(row: DatasetRow, dataset: Pick<Dataset, 'spec_version'>): row is DatasetRow & { result: NonNullable<DatasetRow['result']> } {
  return row.status === 'ok' && row.result !== null && !staleness(row, dataset).stale;
}
