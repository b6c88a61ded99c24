// The matrix: benchmark x framework x target x mode (x profile), and the plan: which cells are
// cached, which must run, and which cannot exist (with the reason, never a silently missing row).
import { cellKey, diffInputs, keyContext, keyInputs, runnerPath } from './key.ts';
import type { Content } from './content.ts';
import type { CacheEntry, CellId, KeyInputs, Mode, Profile } from './schemas.ts';

export interface Filters {
  benchmarks?: string[];
  frameworks?: string[];
  targets?: string[];
  modes?: Mode[];
  /** Overrides each target's own profile (e.g. smoke in tests). */
  profile?: Profile;
}

export type PlanStatus = 'cached' | 'missing' | 'unsupported' | 'unavailable';

export interface PlannedCell {
  id: string;
  cell: CellId;
  status: PlanStatus;
  /** Why a cell is unsupported or unavailable. */
  reason: string | null;
  key: string | null;
  inputs: KeyInputs | null;
  runner: string | null;
  timeoutS: number;
  /** Whether the cell's target can be launched from this machine. */
  runnable: boolean;
  /** The entry stored under the current key, whatever its status. */
  current: CacheEntry | null;
  /** The newest entry of the same cell under an older key (ok entries preferred). */
  previous: CacheEntry | null;
  /** Inputs that differ between `previous` and now. */
  changed: string[];
}

export function cellId(cell: CellId): string {
  return `${cell.benchmark}/${cell.framework}/${cell.target}/${cell.mode}/${cell.profile}`;
}

/** Whether a filter keeps this id (no filter keeps everything). */
export const keep = (list: string[] | undefined, value: string) => !list || list.length === 0 || list.includes(value);

/** Sort order of stored records of one cell: ok ones first, then the newest. */
function newestFirst(a: { status: string; finished_at: string }, b: { status: string; finished_at: string }): number {
  if ((a.status === 'ok') !== (b.status === 'ok')) return a.status === 'ok' ? -1 : 1;
  return b.finished_at.localeCompare(a.finished_at);
}

/** Where a record of these inputs stands in the cache, given the stored records of the same cell
 * or check: the one under the current key, the newest under an older key, and what changed since. */
export function againstCache<E extends { key: string; status: string; finished_at: string; inputs: KeyInputs }>(inputs: KeyInputs, known: E[]) {
  const key = cellKey(inputs);
  const sorted = [...known].sort(newestFirst);
  const current = sorted.find((entry) => entry.key === key) ?? null;
  const previous = sorted.find((entry) => entry.key !== key) ?? null;
  const status: 'cached' | 'missing' = current?.status === 'ok' ? 'cached' : 'missing';
  return { status, key, inputs, current, previous, changed: previous ? diffInputs(previous.inputs, inputs) : [] };
}

export async function plan(root: string, content: Content, entries: CacheEntry[], filters: Filters = {}): Promise<PlannedCell[]> {
  const context = await keyContext(root);
  const byCell = new Map<string, CacheEntry[]>();
  for (const entry of entries) {
    const id = cellId(entry.cell);
    byCell.set(id, [...(byCell.get(id) ?? []), entry]);
  }

  const cells: PlannedCell[] = [];
  for (const benchmark of content.benchmarks.filter((b) => keep(filters.benchmarks, b.id))) {
    for (const framework of content.frameworks.filter((f) => keep(filters.frameworks, f.id))) {
      for (const target of content.targets.filter((t) => keep(filters.targets, t.id))) {
        for (const mode of benchmark.modes.filter((m) => keep(filters.modes, m))) {
          const profile = filters.profile ?? target.profile;
          const cell: CellId = { benchmark: benchmark.id, framework: framework.id, target: target.id, mode, profile };
          const base = {
            id: cellId(cell),
            cell,
            timeoutS: benchmark.timeout_s[profile],
            runnable: target.launch.kind !== 'offline',
            current: null,
            previous: null,
            changed: [],
          };
          if (!framework.implements.includes(benchmark.id)) {
            cells.push({ ...base, status: 'unsupported', reason: `${framework.name} has no ${benchmark.id} runner yet`, key: null, inputs: null, runner: null });
            continue;
          }
          const unavailable = framework.unavailable_on[target.id];
          if (unavailable) {
            cells.push({ ...base, status: 'unavailable', reason: unavailable, key: null, inputs: null, runner: null });
            continue;
          }
          const inputs = await keyInputs(context, cell, benchmark, framework, target);
          cells.push({ ...base, ...againstCache(inputs, byCell.get(base.id) ?? []), reason: null, runner: runnerPath(framework, benchmark.id) });
        }
      }
    }
  }
  return cells;
}
