// The Rosetta check as a stage of the build: for each framework x benchmark it implements, run
// `python -m equivalence` (runners/lib/equivalence/) in the framework's environment on this
// machine's CPU, cache its outcome by the hash of its inputs under cache/equivalence/, and hand the
// datasets one row per framework. The check's files are inputs of its own key, never of a cell's.
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { CHECKS_FOLDER, HISTORY_FOLDER, listRecords, openCache, writeRecord } from './cache.ts';
import type { Cache, RecordKind } from './cache.ts';
import type { Content } from './content.ts';
import { ensureEnvironment } from './environments.ts';
import { cellSpec } from './execute.ts';
import { fileHasher, keyContext, keyInputs, PYTHON_PATH, runnerPath, SHARED_MODULE_DIR } from './key.ts';
import type { Filters } from './matrix.ts';
import { againstCache, keep } from './matrix.ts';
import type { Reporter } from './progress.ts';
import { formatSeconds } from './progress.ts';
import { exitProblem } from './run.ts';
import { CACHE_ENTRY_VERSION, CheckEntrySchema, EquivalenceOutcomeSchema } from './schemas.ts';
import type { CellId, CheckEntry, CheckId, EquivalenceOutcome, EquivalenceRow, KeyInputs, RunStatus, Target } from './schemas.ts';

export const EQUIVALENCE_DIR = 'runners/lib/equivalence';
const TIMEOUT_S = 300;
const STDERR_TAIL_LINES = 30;

export interface PlannedCheck {
  id: string;
  check: CheckId;
  status: 'cached' | 'missing' | 'unsupported' | 'unavailable';
  reason: string | null;
  key: string | null;
  inputs: KeyInputs | null;
  runner: string | null;
  /** The entry stored under the current key, whatever its status. */
  current: CheckEntry | null;
  /** The newest entry of the same check under an older key (ok entries preferred). */
  previous: CheckEntry | null;
  changed: string[];
}

/** The target the checks run on: this machine's CPU. */
export function checkTarget(content: Content): Target | undefined {
  return content.targets.find((target) => target.launch.kind === 'local' && target.device === 'cpu');
}

/** The cell whose key inputs a check shares: the framework's fp32 smoke cell on the cpu target. */
function checkCell(check: CheckId, target: Target): CellId {
  return { ...check, target: target.id, mode: 'fp32', profile: 'smoke' };
}

export const checkName = (check: CheckId, key: string) => `${check.benchmark}/${check.framework}.${key}`;

export function openChecks(cacheDir: string): Cache {
  return openCache(join(cacheDir, CHECKS_FOLDER), [], join(cacheDir, HISTORY_FOLDER, CHECKS_FOLDER));
}

const checkEntries: RecordKind<CheckEntry> = { schema: CheckEntrySchema, nameOf: (entry) => checkName(entry.check, entry.key) };

/** Every valid stored check; invalid or corrupt files are reported by path and left out. */
export const listChecks = (cache: Cache) => listRecords(cache, checkEntries);

export const writeCheck = (cache: Cache, entry: CheckEntry) => writeRecord(cache, checkEntries, entry);

/** One check per benchmark x framework (filtered), with its key and what the cache holds for it. */
export async function planChecks(root: string, content: Content, entries: CheckEntry[], filters: Filters = {}): Promise<PlannedCheck[]> {
  const target = checkTarget(content);
  const context = await keyContext(root, [SHARED_MODULE_DIR, EQUIVALENCE_DIR]);
  const checks: PlannedCheck[] = [];
  for (const benchmark of content.benchmarks.filter((b) => keep(filters.benchmarks, b.id))) {
    for (const framework of content.frameworks.filter((f) => keep(filters.frameworks, f.id))) {
      const check = { benchmark: benchmark.id, framework: framework.id };
      const base = { id: `${benchmark.id}/${framework.id}`, check, key: null, inputs: null, runner: null, current: null, previous: null, changed: [] };
      if (!framework.implements.includes(benchmark.id)) {
        checks.push({ ...base, status: 'unsupported', reason: `${framework.name} has no ${benchmark.id} runner yet` });
        continue;
      }
      const unavailable = !target ? 'no local cpu target is declared' : framework.unavailable_on[target.id];
      if (!target || unavailable) {
        checks.push({ ...base, status: 'unavailable', reason: unavailable });
        continue;
      }
      const inputs = await keyInputs(context, checkCell(check, target), benchmark, framework, target);
      const known = entries.filter((e) => e.check.benchmark === benchmark.id && e.check.framework === framework.id);
      checks.push({ ...base, ...againstCache(inputs, known), reason: null, runner: runnerPath(framework, benchmark.id) });
    }
  }
  return checks;
}

/** The dataset rows of one benchmark's checks, in framework order. */
export function equivalenceRows(checks: PlannedCheck[], benchmark: string): EquivalenceRow[] {
  return checks
    .filter((planned) => planned.check.benchmark === benchmark)
    .map((planned): EquivalenceRow => {
      const empty = { entry_key: null, stderr_tail: [], stale_inputs: [], outcome: null, inputs: null, finished_at: null, wall_s: null, command: null };
      const row = { framework: planned.check.framework, key: planned.key, reason: planned.reason, ...empty };
      const from = (entry: CheckEntry) => ({
        entry_key: entry.key, outcome: entry.outcome, inputs: entry.inputs, finished_at: entry.finished_at, wall_s: entry.wall_s, command: entry.command,
      });
      if (planned.status === 'unsupported' || planned.status === 'unavailable') return { ...row, status: planned.status };
      if (planned.current) {
        const { status, error } = planned.current;
        return { ...row, ...from(planned.current), status, reason: error?.message ?? null, stderr_tail: error?.stderr_tail ?? [] };
      }
      if (planned.previous?.status === 'ok') {
        return { ...row, ...from(planned.previous), status: 'stale', reason: `inputs changed since it ran: ${planned.changed.join(', ')}`, stale_inputs: planned.changed };
      }
      return { ...row, status: 'not-measured', reason: 'not run yet: `npm run build` runs it' };
    })
    .sort((a, b) => a.framework.localeCompare(b.framework));
}

export interface CheckRun {
  status: RunStatus;
  outcome: EquivalenceOutcome | null;
  message: string | null;
  exitCode: number | null;
  stderrTail: string[];
}

/** Reads what the check process did: its exit, and its one JSON line on stdout. */
export function checkRunOf(done: { exitCode?: number; timedOut: boolean; signal?: string; stdout: string; stderr: string }): CheckRun {
  const stderrTail = done.stderr.split('\n').filter(Boolean).slice(-STDERR_TAIL_LINES);
  const exitCode = done.exitCode ?? null;
  const run = (status: RunStatus, message: string | null, outcome: EquivalenceOutcome | null = null) => ({ status, outcome, message, exitCode, stderrTail });
  const problem = exitProblem(done, stderrTail, { what: 'check', expected: 'outcome', timeoutS: TIMEOUT_S });
  if (problem) return run(problem.status, problem.message);
  const lines = done.stdout.split('\n').filter((line) => line.trim());
  if (lines.length !== 1) return run('invalid-output', `the check printed ${lines.length} lines on stdout; exactly one JSON outcome is expected`);
  let raw: unknown;
  try {
    raw = JSON.parse(lines[0]);
  } catch {
    return run('invalid-output', `the check's output is not JSON: ${lines[0].slice(0, 200)}`);
  }
  const parsed = EquivalenceOutcomeSchema.safeParse(raw);
  if (!parsed.success) return run('invalid-output', `invalid outcome:\n${z.prettifyError(parsed.error)}`);
  return run('ok', null, parsed.data);
}

export interface CheckOptions {
  root: string;
  content: Content;
  cache: Cache;
  reporter: Reporter;
  signal?: AbortSignal;
}

function describeCheck(entry: CheckEntry): string {
  if (entry.status !== 'ok') return `${entry.status}: ${entry.error?.message ?? ''}`;
  const o = entry.outcome!;
  const diff = o.relative_diff === null ? 'not finite' : o.relative_diff.toExponential(1);
  return `${o.passed ? 'pass' : 'FAIL'}: max |diff| / scale ${diff} (tolerance ${o.tolerance}), ${o.param_count} parameters (${formatSeconds(entry.wall_s)})`;
}

/** Runs the missing checks one at a time, storing each outcome as soon as it is known. Returns
 * whether it was interrupted. A failure never replaces an ok entry of the same key. */
export async function runChecks(checks: PlannedCheck[], options: CheckOptions): Promise<{ ran: CheckEntry[]; interrupted: boolean }> {
  const { root, content, cache, reporter } = options;
  const target = checkTarget(content)!;
  const hash = fileHasher(root);
  const ran: CheckEntry[] = [];
  for (const [index, planned] of checks.entries()) {
    if (options.signal?.aborted) return { ran, interrupted: true };
    const framework = content.frameworks.find((f) => f.id === planned.check.framework)!;
    const spec = cellSpec({ key: planned.key, cell: checkCell(planned.check, target) }, content);
    const args = ['-m', 'equivalence', '--runner', planned.runner!, '--cell', '-'];
    const started = new Date();
    let run: CheckRun;
    try {
      const environment = await ensureEnvironment(root, framework, hash, reporter.log);
      const done = await execa(environment.python, args, {
        cwd: root,
        env: { ...planned.inputs!.environment.variables, PYTHONPATH: join(root, PYTHON_PATH), PYTHONUNBUFFERED: '1' },
        input: JSON.stringify(spec),
        reject: false,
        timeout: TIMEOUT_S * 1000,
        cancelSignal: options.signal,
      });
      if (options.signal?.aborted) return { ran, interrupted: true };
      run = checkRunOf({ ...done, stdout: String(done.stdout), stderr: String(done.stderr) });
    } catch (error) {
      if (options.signal?.aborted) return { ran, interrupted: true };
      const lines = (error as Error).message.split('\n');
      run = { status: 'unavailable', outcome: null, message: lines[0], exitCode: null, stderrTail: lines.slice(1) };
    }
    const finished = new Date();
    const entry: CheckEntry = {
      entry_version: CACHE_ENTRY_VERSION,
      key: planned.key!,
      check: planned.check,
      inputs: planned.inputs!,
      status: run.status,
      outcome: run.outcome,
      error: run.message === null ? null : { message: run.message, exit_code: run.exitCode, stderr_tail: run.stderrTail },
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      wall_s: (finished.getTime() - started.getTime()) / 1000,
      command: ['python', ...args],
    };
    const stored = await writeCheck(cache, entry);
    reporter.log(`[check ${index + 1}/${checks.length}] ${planned.id}: ${describeCheck(entry)}${stored ? '' : ' (an earlier ok outcome of the same inputs is kept)'}`);
    ran.push(entry);
  }
  return { ran, interrupted: false };
}
