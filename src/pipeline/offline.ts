// Plan / execute / ingest, for targets this machine cannot launch (a GPU box with no network, a
// batch-scheduled cluster): the plan lists a target's missing cells with everything needed to run
// them; scripts/execute-plan.py runs them there with plain Python; the bundle it writes comes back
// and is ingested here, refusing results whose inputs no longer match.
import { writeEntry } from './cache.ts';
import type { Cache } from './cache.ts';
import type { Content } from './content.ts';
import { UserError } from './errors.ts';
import { cellSpec } from './execute.ts';
import { cellKey, diffInputs } from './key.ts';
import type { PlannedCell } from './matrix.ts';
import { BundleSchema, CacheEntrySchema, PlanFileSchema } from './schemas.ts';
import type { CacheEntry, PlanFile } from './schemas.ts';
import { z } from 'zod';

/** The plan of one target: its cells that are missing for the current inputs. */
export function offlinePlan(cells: PlannedCell[], content: Content, target: string, now = new Date()): PlanFile {
  const missing = cells.filter((cell) => cell.cell.target === target && cell.status === 'missing');
  return PlanFileSchema.parse({
    plan_version: 1,
    created_at: now.toISOString(),
    target,
    cells: missing.map((cell) => ({
      id: cell.id,
      key: cell.key,
      cell: cell.cell,
      inputs: cell.inputs,
      runner: cell.runner,
      timeout_s: cell.timeoutS,
      spec: cellSpec(cell, content),
      variables: cell.inputs!.environment.variables,
    })),
  });
}

/** Splits a plan into parts of at most maxCells cells, so that each execution stays short. */
export function splitPlan(plan: PlanFile, maxCells: number): PlanFile[] {
  const parts: PlanFile[] = [];
  for (let start = 0; start < plan.cells.length; start += maxCells) {
    parts.push({ ...plan, cells: plan.cells.slice(start, start + maxCells) });
  }
  return parts;
}

export type IngestOutcome =
  | { id: string; action: 'stored'; entry: CacheEntry }
  | { id: string; action: 'kept-ok'; entry: CacheEntry }
  | { id: string; action: 'refused'; reason: string };

/**
 * Stores a bundle's entries whose key matches the current inputs of their cell. Refuses stale or
 * invalid entries with the reason; a failure never replaces an ok entry of the same key.
 */
export async function ingestBundle(raw: unknown, cells: PlannedCell[], cache: Cache): Promise<IngestOutcome[]> {
  const bundle = BundleSchema.safeParse(raw);
  if (!bundle.success) throw new UserError(`not a result bundle:\n${z.prettifyError(bundle.error)}`);
  const byId = new Map(cells.map((cell) => [cell.id, cell]));
  const outcomes: IngestOutcome[] = [];
  for (const [index, item] of bundle.data.entries.entries()) {
    const parsed = CacheEntrySchema.safeParse(item);
    const label = (item as { cell?: Record<string, string> })?.cell;
    const id = label ? [label.benchmark, label.framework, label.target, label.mode, label.profile].join('/') : `entry ${index + 1}`;
    if (!parsed.success) {
      outcomes.push({ id, action: 'refused', reason: `invalid entry:\n${z.prettifyError(parsed.error)}` });
      continue;
    }
    const entry = parsed.data;
    const current = byId.get(id);
    if (cellKey(entry.inputs) !== entry.key) {
      outcomes.push({ id, action: 'refused', reason: 'its key is not the hash of its recorded inputs (edited or corrupt)' });
    } else if (!current || !current.key || !current.inputs) {
      outcomes.push({ id, action: 'refused', reason: 'this cell is not in the declared matrix any more' });
    } else if (current.key !== entry.key) {
      const changed = diffInputs(entry.inputs, current.inputs).join(', ');
      outcomes.push({ id, action: 'refused', reason: `stale: the inputs changed since the plan was written (${changed}); plan and run it again` });
    } else if (await writeEntry(cache, entry)) {
      outcomes.push({ id, action: 'stored', entry });
    } else {
      outcomes.push({ id, action: 'kept-ok', entry });
    }
  }
  return outcomes;
}
