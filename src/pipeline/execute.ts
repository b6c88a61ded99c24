// Runs the missing cells of a plan that can be launched here, one process working at a time (timings
// need the machine to themselves), in interleaved rounds, storing each outcome as soon as it is known.
import { writeEntry } from './cache.ts';
import type { Cache } from './cache.ts';
import type { Content } from './content.ts';
import { ensureEnvironment } from './environments.ts';
import type { Environment } from './environments.ts';
import { DATA_DIR, fileHasher, SEED } from './key.ts';
import { launchFor, syncRunners } from './launch.ts';
import type { Launch } from './launch.ts';
import type { PlannedCell } from './matrix.ts';
import type { Reporter } from './progress.ts';
import { formatSeconds } from './progress.ts';
import { Interrupted, startCell } from './run.ts';
import type { RunnerProcess, RunOutcome } from './run.ts';
import { CACHE_ENTRY_VERSION, PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { CacheEntry, CellSpec, Framework, Target } from './schemas.ts';


export interface ExecuteOptions {
  root: string;
  content: Content;
  cache: Cache;
  reporter: Reporter;
  /** Stop at the first cell that is not ok. */
  strict: boolean;
  signal?: AbortSignal;
}

export interface Executed {
  cell: PlannedCell;
  outcome: RunOutcome;
}

export interface ExecuteSummary {
  executed: Executed[];
  interrupted: boolean;
  stoppedEarly: boolean;
}

export function toEntry(cell: Pick<PlannedCell, 'key' | 'cell' | 'inputs'>, outcome: RunOutcome): CacheEntry {
  return {
    entry_version: CACHE_ENTRY_VERSION,
    key: cell.key!,
    cell: cell.cell,
    inputs: cell.inputs!,
    status: outcome.status,
    result: outcome.result,
    error: outcome.error,
    started_at: outcome.started_at,
    finished_at: outcome.finished_at,
    wall_s: outcome.wall_s,
    command: outcome.command,
  };
}

function environmentFailure(error: Error): RunOutcome {
  const now = new Date().toISOString();
  const lines = error.message.split('\n');
  return {
    status: 'unavailable',
    result: null,
    error: { message: lines[0], exit_code: null, stderr_tail: lines.slice(1) },
    started_at: now,
    finished_at: now,
    wall_s: 0,
    command: [],
  };
}

export function describeOutcome(outcome: RunOutcome): string {
  if (outcome.status === 'ok') {
    const metric = outcome.result!.metric;
    return `ok: ${metric.name} median ${metric.median.toPrecision(4)} ${metric.unit} (${formatSeconds(outcome.wall_s)} wall)`;
  }
  return `${outcome.status}: ${outcome.error?.message ?? ''}`;
}

/** What the runner of a planned cell receives (runners/README.md); `interleaved`: it runs in rounds
 * with other cells, waiting for its turn before each repeat. */
export function cellSpec(cell: Pick<PlannedCell, 'key' | 'cell'>, content: Content, interleaved = false): CellSpec {
  const target = content.targets.find((t) => t.id === cell.cell.target)!;
  const benchmark = content.benchmarks.find((b) => b.id === cell.cell.benchmark)!;
  return {
    spec_version: SPEC_VERSION,
    protocol: PROTOCOL_VERSION,
    key: cell.key!,
    ...cell.cell,
    device: target.device,
    params: benchmark.profiles[cell.cell.profile],
    data_dir: DATA_DIR,
    seed: SEED,
    interleaved,
  };
}

/** At most this many runner processes wait at once in one interleaved group (memory). */
export const MAX_INTERLEAVED = 12;

/**
 * The cells that run in rounds together: those of one benchmark on one target whose launcher the
 * build drives (local, ssh), at most MAX_INTERLEAVED at a time. A slurm cell runs alone: a waiting
 * job would hold its allocation while the others queue behind it.
 */
export function interleavedGroups(cells: PlannedCell[], content: Content): PlannedCell[][] {
  const groups = new Map<string, PlannedCell[]>();
  for (const cell of cells) {
    const target = content.targets.find((t) => t.id === cell.cell.target)!;
    const together = target.launch.kind === 'local' || target.launch.kind === 'ssh';
    const name = together ? `${cell.cell.benchmark}/${cell.cell.target}` : cell.id;
    groups.set(name, [...(groups.get(name) ?? []), cell]);
  }
  return [...groups.values()].flatMap((group) =>
    Array.from({ length: Math.ceil(group.length / MAX_INTERLEAVED) }, (_, i) => group.slice(i * MAX_INTERLEAVED, (i + 1) * MAX_INTERLEAVED)),
  );
}

/**
 * Runs the cells group by group (interleavedGroups, runInRounds), storing each outcome in the
 * cache as soon as it is known. Environments are made and runners synced before a group starts.
 */
export async function executeCells(cells: PlannedCell[], options: ExecuteOptions): Promise<ExecuteSummary> {
  const { root, content, cache, reporter } = options;
  const hash = fileHasher(root);
  const environments = new Map<string, Promise<Environment>>();
  const environmentOf = (framework: Framework) => {
    let environment = environments.get(framework.id);
    if (!environment) {
      environment = ensureEnvironment(root, framework, hash, reporter.log);
      environments.set(framework.id, environment);
    }
    return environment;
  };
  const synced = new Map<string, Promise<void>>();
  const syncOnce = (target: Target) => {
    if (!synced.has(target.id)) synced.set(target.id, syncRunners(target, root));
    return synced.get(target.id)!;
  };

  const summary: ExecuteSummary = { executed: [], interrupted: false, stoppedEarly: false };
  let done = 0;
  const store = async (cell: PlannedCell, outcome: RunOutcome) => {
    const stored = await writeEntry(cache, toEntry(cell, outcome));
    const note = stored ? '' : ' (an earlier ok result of the same inputs is kept)';
    reporter.log(`[${++done}/${cells.length}] ${cell.id}: ${describeOutcome(outcome)}${note}`);
    summary.executed.push({ cell, outcome });
    if (options.strict && outcome.status !== 'ok') summary.stoppedEarly = true;
  };

  for (const group of interleavedGroups(cells, content)) {
    if (summary.stoppedEarly) break;
    // Everything that may take long and is not measured happens before any runner starts.
    const launches: Launched[] = [];
    for (const cell of group) {
      const framework = content.frameworks.find((f) => f.id === cell.cell.framework)!;
      const target = content.targets.find((t) => t.id === cell.cell.target)!;
      try {
        const python = target.launch.kind === 'local' ? (await environmentOf(framework)).python : null;
        await syncOnce(target);
        launches.push({ cell, launch: launchFor(target, python, root, cell.runner!, cell.inputs!.environment.variables) });
      } catch (error) {
        if (options.signal?.aborted) break;
        await store(cell, environmentFailure(error as Error));
      }
    }
    const unfinished = await runInRounds(launches, {
      root,
      content,
      reporter,
      signal: options.signal,
      position: () => [done + 1, cells.length],
      onOutcome: async (cell, outcome) => {
        await store(cell, outcome);
        return summary.stoppedEarly;
      },
    });
    if (options.signal?.aborted) {
      for (const cell of unfinished) reporter.log(`${cell.id}: interrupted; nothing stored for it`);
      summary.interrupted = true;
      break;
    }
  }
  return summary;
}

export interface Launched {
  cell: PlannedCell;
  launch: Launch;
}

export interface RoundsOptions {
  root: string;
  content: Content;
  reporter: Reporter;
  signal?: AbortSignal;
  /** The progress line's [index, total]. */
  position: () => [number, number];
  /** Hears each outcome as soon as its runner ends; returns true to stop the others. */
  onOutcome: (cell: PlannedCell, outcome: RunOutcome) => Promise<boolean>;
}

/**
 * Runs one group of cells. Alone, a cell runs from start to end. Together, they run in interleaved
 * rounds (as asv does): each runner is started and warmed up in turn and then waits; round r gives
 * every cell its r-th repeat, one process working at a time, so a change of machine load during
 * the group hits every framework and mode alike. Returns the cells that did not finish (stopped).
 */
export async function runInRounds(group: Launched[], options: RoundsOptions): Promise<PlannedCell[]> {
  const { root, content, reporter } = options;
  const interleaved = group.length > 1;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const running: { cell: PlannedCell; runner: RunnerProcess }[] = [];
  const finish = async (entry: { cell: PlannedCell; runner: RunnerProcess }) => {
    running.splice(running.indexOf(entry), 1);
    try {
      if (await options.onOutcome(entry.cell, await entry.runner.outcome)) stop.abort();
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      running.push(entry); // stopped before it finished
    }
  };
  const turn = async (entry: { cell: PlannedCell; runner: RunnerProcess }, label: string) => {
    reporter.cellStarted(label, ...options.position());
    const waiting = await entry.runner.ready();
    reporter.cellFinished();
    if (!waiting) await finish(entry);
  };

  try {
    for (const { cell, launch } of group) {
      if (signal.aborted) break;
      const spec = cellSpec(cell, content, interleaved);
      const entry = { cell, runner: startCell({ root, launch, spec, timeoutS: cell.timeoutS, onProgress: reporter.progress, signal }) };
      running.push(entry);
      await turn(entry, interleaved ? `${cell.id} (start and warm-up)` : cell.id);
    }
    for (let round = 1; running.length && !signal.aborted; round++) {
      for (const entry of [...running]) {
        if (signal.aborted) break;
        entry.runner.go();
        await turn(entry, `round ${round}: ${entry.cell.id}`);
      }
    }
  } finally {
    stop.abort(); // runners still waiting (interrupted, or stopped early) are stopped
    await Promise.allSettled(running.map((entry) => entry.runner.outcome));
  }
  return running.map((entry) => entry.cell);
}
