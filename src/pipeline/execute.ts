// Runs the missing cells of a plan that can be launched here, one process at a time (timings need
// the machine to themselves), storing each outcome in the cache as soon as it is known.
import { writeEntry } from './cache.ts';
import type { Cache } from './cache.ts';
import type { Content } from './content.ts';
import { ensureEnvironment } from './environments.ts';
import type { Environment } from './environments.ts';
import { fileHasher } from './key.ts';
import { launchFor, syncRunners } from './launch.ts';
import type { PlannedCell } from './matrix.ts';
import type { Reporter } from './progress.ts';
import { formatSeconds } from './progress.ts';
import { Interrupted, runCell } from './run.ts';
import type { RunOutcome } from './run.ts';
import { CACHE_ENTRY_VERSION, PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { CacheEntry, CellSpec, Framework, Target } from './schemas.ts';

export const DATA_DIR = 'data';
export const SEED = 0;

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

/** What the runner of a planned cell receives (runners/README.md). */
export function cellSpec(cell: Pick<PlannedCell, 'key' | 'cell'>, content: Content): CellSpec {
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
  };
}

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
  for (const [index, cell] of cells.entries()) {
    if (options.signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    const framework = content.frameworks.find((f) => f.id === cell.cell.framework)!;
    reporter.cellStarted(cell.id, index + 1, cells.length);
    let outcome: RunOutcome;
    try {
      const target = content.targets.find((t) => t.id === cell.cell.target)!;
      const python = target.launch.kind === 'local' ? (await environmentOf(framework)).python : null;
      await syncOnce(target);
      outcome = await runCell({
        root,
        launch: launchFor(target, python, root, cell.runner!, framework.environment.variables),
        spec: cellSpec(cell, content),
        timeoutS: cell.timeoutS,
        onProgress: reporter.progress,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof Interrupted || options.signal?.aborted) {
        reporter.cellFinished();
        reporter.log(`${cell.id}: interrupted; nothing stored for it`);
        summary.interrupted = true;
        break;
      }
      outcome = environmentFailure(error as Error);
    }
    reporter.cellFinished();
    const stored = await writeEntry(cache, toEntry(cell, outcome));
    const note = stored ? '' : ' (an earlier ok result of the same inputs is kept)';
    reporter.log(`[${index + 1}/${cells.length}] ${cell.id}: ${describeOutcome(outcome)}${note}`);
    summary.executed.push({ cell, outcome });
    if (options.strict && outcome.status !== 'ok') {
      summary.stoppedEarly = true;
      break;
    }
  }
  return summary;
}
