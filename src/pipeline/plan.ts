// The plan: every job the declared matrix asks for, and where each stands against the cache. A job
// is a cell (benchmark x framework x target x mode x profile: a timed run of its runner) or a
// check (benchmark x framework: the Rosetta check of the runner's network against the NumPy
// reference, on this CPU). Both go the same way: plan -> run -> cache -> datasets. A job that
// cannot exist has its reason (unsupported, unavailable), never a silently missing row.
import type { Content } from './content.ts';
import { EQUIVALENCE_DIR, SHARED_MODULE_DIR } from './files.ts';
import { cellKey, diffInputs, keyContext, keyInputs, runnerPath } from './key.ts';
import type { KeyContext } from './key.ts';
import { expectedOf } from './outcome.ts';
import type { Expected } from './outcome.ts';
import type { Benchmark, CacheEntry, CellId, CheckEntry, Framework, KeyInputs, Mode, Profile, Target } from './schemas.ts';

export interface Filters {
  benchmarks?: string[];
  frameworks?: string[];
  targets?: string[];
  modes?: Mode[];
  /** Only jobs of these kinds (--only): e.g. the checks again after a change of the check, no cell. */
  kinds?: PlannedJob['kind'][];
  /** Overrides each target's own profile (e.g. smoke in tests). */
  profile?: Profile;
}

export type PlanStatus = 'cached' | 'missing' | 'unsupported' | 'unavailable';

interface Planned<Kind extends string, Entry> {
  kind: Kind;
  /** cell: benchmark/framework/target/mode/profile; check: benchmark/framework. */
  id: string;
  /** A check's cell is the one whose inputs it shares: the framework's fp32 smoke cell on the cpu. */
  cell: CellId;
  status: PlanStatus;
  /** Why a job is unsupported or unavailable. */
  reason: string | null;
  key: string | null;
  inputs: KeyInputs | null;
  runner: string | null;
  /** The Python program that runs a runner in another language (the framework's host), else null. */
  host?: string | null;
  timeoutS: number;
  /** Whether the job's target can be launched from this machine. */
  runnable: boolean;
  /** What its benchmark's results must say (metric, units, parameter count). */
  expected: Expected;
  /** The entry stored under the current key, whatever its status. */
  current: Entry | null;
  /** The newest entry of the same job under an older key (ok entries preferred). */
  previous: Entry | null;
  /** Inputs that differ between `previous` and now. */
  changed: string[];
}

export type PlannedCell = Planned<'cell', CacheEntry>;
export type PlannedCheck = Planned<'check', CheckEntry>;
export type PlannedJob = PlannedCell | PlannedCheck;

/** What the cache holds: the valid entries of each kind of job. */
export interface Stored {
  cells: CacheEntry[];
  checks: CheckEntry[];
}

export function cellId(cell: CellId): string {
  return `${cell.benchmark}/${cell.framework}/${cell.target}/${cell.mode}/${cell.profile}`;
}

export const checkId = (check: { benchmark: string; framework: string }) => `${check.benchmark}/${check.framework}`;

/** How a job is named in progress lines and --plan. */
export const jobLabel = (job: PlannedJob) => (job.kind === 'check' ? `check ${job.id}` : job.id);

export const cellsOf = (jobs: PlannedJob[]) => jobs.filter((job): job is PlannedCell => job.kind === 'cell');
export const checksOf = (jobs: PlannedJob[]) => jobs.filter((job): job is PlannedCheck => job.kind === 'check');

/** Whether a filter keeps this id (no filter keeps everything). */
export const keep = (list: string[] | undefined, value: string) => !list || list.length === 0 || list.includes(value);

/** The target the checks run on: this machine's CPU. */
export function checkTarget(content: Content): Target | undefined {
  return content.targets.find((target) => target.launch.kind === 'local' && target.device === 'cpu');
}

/** Sort order of stored records of one job: ok ones first, then the newest. */
function newestFirst(a: { status: string; finished_at: string }, b: { status: string; finished_at: string }): number {
  if ((a.status === 'ok') !== (b.status === 'ok')) return a.status === 'ok' ? -1 : 1;
  return b.finished_at.localeCompare(a.finished_at);
}

/** Where a job of these inputs stands in the cache, given the stored records of the same job: the
 * one under the current key, the newest under an older key, and what changed since. */
export function againstCache<E extends { key: string; status: string; finished_at: string; inputs: KeyInputs }>(inputs: KeyInputs, known: E[]) {
  const key = cellKey(inputs);
  const sorted = [...known].sort(newestFirst);
  const current = sorted.find((entry) => entry.key === key) ?? null;
  const previous = sorted.find((entry) => entry.key !== key) ?? null;
  // A job that timed out under these very inputs would spend its whole timeout again: it stays as
  // it is until --remeasure. Any other failure is quick to try again, and is.
  const status: 'cached' | 'missing' = current?.status === 'ok' || current?.status === 'timeout' ? 'cached' : 'missing';
  return { status, key, inputs, current, previous, changed: previous ? diffInputs(previous.inputs, inputs) : [] };
}

function groupBy<T>(items: T[], name: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(name(item), [...(groups.get(name(item)) ?? []), item]);
  return groups;
}

/** Why a framework has no runner for a benchmark: its own words, or that none is written yet. */
export const unsupportedReason = (framework: Framework, benchmark: string): string =>
  framework.unsupported?.[benchmark] ?? `${framework.name} has no ${benchmark} runner yet`;

/** Why a framework cannot have a job of this benchmark on this target, or null when it can. */
function cannot(benchmark: Benchmark, framework: Framework, target: Target | undefined): { status: 'unsupported' | 'unavailable'; reason: string } | null {
  if (!framework.implements.includes(benchmark.id)) return { status: 'unsupported', reason: unsupportedReason(framework, benchmark.id) };
  if (!target) return { status: 'unavailable', reason: 'no local cpu target is declared' };
  const unavailable = framework.unavailable_on[target.id];
  return unavailable ? { status: 'unavailable', reason: unavailable } : null;
}

async function planJob<Kind extends 'cell' | 'check', E extends CacheEntry | CheckEntry>(
  base: Pick<Planned<Kind, E>, 'kind' | 'id' | 'cell' | 'timeoutS' | 'runnable' | 'expected'>,
  context: KeyContext,
  benchmark: Benchmark,
  framework: Framework,
  target: Target | undefined,
  known: E[],
): Promise<Planned<Kind, E>> {
  const empty = { current: null, previous: null, changed: [], key: null, inputs: null, runner: null };
  const problem = cannot(benchmark, framework, target);
  if (problem) return { ...base, ...empty, ...problem };
  const inputs = await keyInputs(context, base.cell, benchmark, framework, target!);
  return { ...base, ...againstCache(inputs, known), reason: null, runner: runnerPath(framework, benchmark.id), host: framework.host?.program ?? null };
}

/**
 * Every job the filters keep, cells first: one cell per benchmark x framework x target x mode
 * (at the target's profile, or `filters.profile`), and one check per benchmark x framework when
 * the filters keep the cpu target and fp32 (the checks run there, in fp32).
 */
export async function plan(root: string, content: Content, stored: Stored, filters: Filters = {}): Promise<PlannedJob[]> {
  const benchmarks = content.benchmarks.filter((b) => keep(filters.benchmarks, b.id));
  const frameworks = content.frameworks.filter((f) => keep(filters.frameworks, f.id));
  const jobs: PlannedJob[] = [];

  const cellContext = await keyContext(root, [SHARED_MODULE_DIR]);
  const cellEntries = groupBy(stored.cells, (entry) => cellId(entry.cell));
  for (const benchmark of keep(filters.kinds, 'cell') ? benchmarks : []) {
    for (const framework of frameworks) {
      for (const target of content.targets.filter((t) => keep(filters.targets, t.id))) {
        for (const mode of benchmark.modes.filter((m) => keep(filters.modes, m))) {
          const profile = filters.profile ?? target.profile;
          const cell: CellId = { benchmark: benchmark.id, framework: framework.id, target: target.id, mode, profile };
          const base = { kind: 'cell' as const, id: cellId(cell), cell, timeoutS: benchmark.timeout_s[profile], runnable: target.launch.kind !== 'offline', expected: expectedOf(benchmark, target) };
          jobs.push(await planJob(base, cellContext, benchmark, framework, target, cellEntries.get(base.id) ?? []));
        }
      }
    }
  }

  const cpu = checkTarget(content);
  const checksKept = keep(filters.kinds, 'check') && (!cpu || keep(filters.targets, cpu.id)) && keep(filters.modes, 'fp32');
  if (!checksKept) return jobs;
  const checkContext = await keyContext(root, [SHARED_MODULE_DIR, EQUIVALENCE_DIR]);
  const checkEntries = groupBy(stored.checks, (entry) => checkId(entry.check));
  for (const benchmark of benchmarks) {
    for (const framework of frameworks) {
      const check = { benchmark: benchmark.id, framework: framework.id };
      const cell: CellId = { ...check, target: cpu?.id ?? 'cpu', mode: 'fp32', profile: 'smoke' };
      const base = { kind: 'check' as const, id: checkId(check), cell, timeoutS: benchmark.timeout_s.smoke, runnable: true, expected: expectedOf(benchmark, null) };
      jobs.push(await planJob(base, checkContext, benchmark, framework, cpu, checkEntries.get(base.id) ?? []));
    }
  }
  return jobs;
}
