// Plan / execute / ingest, for targets this machine cannot launch (a GPU box with no network, a
// batch-scheduled cluster): the plan lists a target's missing cells with everything needed to run
// them; scripts/execute-plan.py runs them there with plain Python and brings back what each
// process did, unclassified; ingest classifies it here with the build's own code (outcome.ts),
// refusing results whose inputs no longer match.
import { storeOutcome } from './cache.ts';
import type { JobCache } from './cache.ts';
import type { Content } from './content.ts';
import { UserError } from './errors.ts';
import { jobArgs, jobSpec } from './job-process.ts';
import { cellKey, diffInputs } from './key.ts';
import { classify } from './outcome.ts';
import type { CellOutcome } from './outcome.ts';
import { pinnedVersions, versionMismatches } from './environments.ts';
import { cellsOf } from './plan.ts';
import type { PlannedCell, PlannedJob } from './plan.ts';
import { BundleEntrySchema, BundleSchema, PLAN_VERSION, PlanFileSchema } from './schemas.ts';
import type { PlanFile } from './schemas.ts';
import { z } from 'zod';

/** The plan of one target: its cells that are missing for the current inputs. */
export async function offlinePlan(root: string, jobs: PlannedJob[], content: Content, target: string, now = new Date()): Promise<PlanFile> {
  const missing = cellsOf(jobs).filter((cell) => cell.cell.target === target && cell.status === 'missing');
  const pinsOf = pinReader(root);
  const pins = new Map(await Promise.all(missing.map(async (cell) => [cell.id, await pinsOf(cell)] as const)));
  return PlanFileSchema.parse({
    plan_version: PLAN_VERSION,
    created_at: now.toISOString(),
    target,
    cells: missing.map((cell) => ({
      id: cell.id,
      key: cell.key,
      cell: cell.cell,
      inputs: cell.inputs,
      args: jobArgs(cell),
      timeout_s: cell.timeoutS,
      spec: jobSpec(cell, content),
      variables: cell.inputs!.environment.variables,
      pins: pins.get(cell.id),
    })),
  });
}

/** Reads the exact pins of a cell's requirements (the file its key hashes), each file once. */
function pinReader(root: string): (cell: PlannedCell) => Promise<Record<string, string>> {
  const byFile = new Map<string, Promise<Record<string, string>>>();
  return (cell) => {
    const path = cell.inputs!.environment.requirements.path;
    if (!byFile.has(path)) byFile.set(path, pinnedVersions(root, path));
    return byFile.get(path)!;
  };
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
  | { id: string; action: 'stored'; outcome: CellOutcome }
  | { id: string; action: 'kept-ok'; outcome: CellOutcome }
  | { id: string; action: 'refused'; reason: string };

/**
 * Classifies each raw outcome of a bundle (outcome.ts, as the build does its own runs) and stores
 * it when its key is that of its cell's current inputs. A cell run with other versions of its
 * pinned packages than its requirements say is stored as failed, naming them. Refuses stale or
 * invalid entries with the reason, each on its own: one bad entry never loses the others; a
 * failure never replaces an ok entry of the same key.
 */
export async function ingestBundle(root: string, raw: unknown, jobs: PlannedJob[], cache: JobCache): Promise<IngestOutcome[]> {
  const bundle = BundleSchema.safeParse(raw);
  if (!bundle.success) throw new UserError(`not a result bundle (written by scripts/execute-plan.py of this version?):\n${z.prettifyError(bundle.error)}`);
  const byId = new Map(cellsOf(jobs).map((cell) => [cell.id, cell]));
  const pinsOf = pinReader(root);
  const outcomes: IngestOutcome[] = [];
  for (const [index, item] of bundle.data.entries.entries()) {
    const parsed = BundleEntrySchema.safeParse(item);
    const named = (item as { id?: unknown } | null)?.id;
    const id = typeof named === 'string' ? named : `entry ${index + 1}`;
    if (!parsed.success) {
      outcomes.push({ id, action: 'refused', reason: `invalid entry:\n${z.prettifyError(parsed.error)}` });
      continue;
    }
    const { key, inputs, installed, raw: done } = parsed.data;
    const cell = byId.get(id);
    if (cellKey(inputs) !== key) {
      outcomes.push({ id, action: 'refused', reason: 'its key is not the hash of its recorded inputs (edited or corrupt)' });
      continue;
    }
    if (!cell || !cell.key || !cell.inputs) {
      outcomes.push({ id, action: 'refused', reason: 'this cell is not in the declared matrix any more' });
      continue;
    }
    if (cell.key !== key) {
      const changed = diffInputs(inputs, cell.inputs).join(', ');
      outcomes.push({ id, action: 'refused', reason: `stale: the inputs changed since the plan was written (${changed}); plan and run it again` });
      continue;
    }
    const mismatches = versionMismatches(await pinsOf(cell), installed);
    const outcome: CellOutcome = mismatches.length
      ? { ...classify(cell, done), status: 'failed', result: null, error: {
          message: `it ran with other versions than its key's pinned requirements: ${mismatches.join(', ')}; install the pinned versions on that machine and run it again`,
          exit_code: done.exit_code, stderr_tail: done.stderr_tail } }
      : classify(cell, done);
    try {
      outcomes.push({ id, action: (await storeOutcome(cache, cell, outcome)) ? 'stored' : 'kept-ok', outcome });
    } catch (error) {
      outcomes.push({ id, action: 'refused', reason: `could not be stored: ${(error as Error).message}` });
    }
  }
  return outcomes;
}
