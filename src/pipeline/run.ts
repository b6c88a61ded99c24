// The run stage: runs the planned jobs that can be launched from here (cells and checks alike),
// one process working at a time (timings need the machine to themselves), the cells of one
// benchmark on one target in interleaved rounds, and stores each outcome as soon as it is known.
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkName, checkWritable, CHECKS_FOLDER, entryName, recordOf, serialiseEntry, storeOutcome } from './cache.ts';
import type { JobCache } from './cache.ts';
import type { Content } from './content.ts';
import { ensureEnvironment } from './environments.ts';
import type { Environment } from './environments.ts';
import { Interrupted, jobArgs, jobSpec, runJob, startJob } from './job-process.ts';
import type { JobProcess } from './job-process.ts';
import { launchFor, syncRunners } from './launch.ts';
import type { Launch } from './launch.ts';
import { classify } from './outcome.ts';
import type { CellOutcome, CheckOutcome } from './outcome.ts';
import { writeFileAtomic } from './files.ts';
import { jobLabel } from './plan.ts';
import type { PlannedJob } from './plan.ts';
import type { Reporter } from './progress.ts';
import { formatSeconds } from './progress.ts';
import type { Framework, Target } from './schemas.ts';

export interface RunOptions {
  root: string;
  content: Content;
  cache: JobCache;
  reporter: Reporter;
  /** Stop at the first job that is not ok (for a check: that did not pass). */
  strict: boolean;
  /** How many cluster (slurm) jobs at once, instead of each target's own concurrency. */
  concurrency?: number;
  signal?: AbortSignal;
}

export type JobOutcome = CellOutcome | CheckOutcome;

export interface Executed {
  job: PlannedJob;
  outcome: JobOutcome;
}

export interface RunSummary {
  executed: Executed[];
  interrupted: boolean;
  stoppedEarly: boolean;
  /** Where the records that could not be written to the cache were kept instead. */
  unsaved: string[];
}

/**
 * Keeps the record of a job whose cache file could not be written (a full disk, a folder that
 * became read-only) under the system's temporary folder, at the path it has in cache/; returns
 * where. If even that fails, the record goes to stderr: a measurement is never lost silently.
 */
async function keepElsewhere(job: PlannedJob, outcome: JobOutcome): Promise<string> {
  const text = serialiseEntry(job.kind === 'cell' ? recordOf(job, outcome as CellOutcome) : recordOf(job, outcome as CheckOutcome));
  const name = job.kind === 'cell' ? entryName(job.cell, job.key!) : `${CHECKS_FOLDER}/${checkName(job.cell, job.key!)}`;
  const path = join(tmpdir(), 'rosetta-unsaved', `${name}.json`);
  try {
    await writeFileAtomic(path, text);
    return path;
  } catch {
    process.stderr.write(text);
    return 'stderr (above)';
  }
}

/** Whether an outcome is a success: an ok cell, or an ok check whose network passed. */
export const succeeded = ({ job, outcome }: Executed) =>
  outcome.status === 'ok' && (job.kind === 'cell' || (outcome as CheckOutcome).result?.passed === true);

function environmentFailure(error: Error): JobOutcome {
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

/** One line for the progress log: the result's figure, or what went wrong. */
export function describeOutcome(executed: Executed): string {
  const { job, outcome } = executed;
  if (outcome.status !== 'ok') return `${outcome.status}: ${outcome.error?.message ?? ''}`;
  if (job.kind === 'cell') {
    const metric = (outcome as CellOutcome).result!.metric;
    return `ok: ${metric.name} median ${metric.median.toPrecision(4)} ${metric.unit} (${formatSeconds(outcome.wall_s)} wall)`;
  }
  const o = (outcome as CheckOutcome).result!;
  const exponent = (value: number | null) => (value === null ? 'not finite' : value.toExponential(1));
  const training = o.training ? `; training step: loss ${exponent(o.training.loss_relative_diff)}, updates ${exponent(o.training.update_relative_diff)} (tolerances ${o.training.loss_tolerance}, ${o.training.update_tolerance})` : '';
  return `${o.passed ? 'pass' : 'FAIL'}: max |diff| / scale ${exponent(o.relative_diff)} (tolerance ${o.tolerance})${training}, ${o.param_count} parameters (${formatSeconds(outcome.wall_s)})`;
}

/** At most this many runner processes wait at once in one interleaved group; fewer when the memory
 * runs short (runInRounds). */
export const MAX_INTERLEAVED = 12;

/** Jobs that run together: in interleaved rounds (`concurrency` null: one process working at a
 * time), or as concurrent cluster jobs (at most `concurrency` at once). */
export interface JobGroup {
  jobs: PlannedJob[];
  concurrency: number | null;
}

/**
 * The groups of a build: the cells of one benchmark on one target whose launcher the build drives
 * (local, ssh) run in rounds, at most MAX_INTERLEAVED at a time; the cells of a slurm target run as
 * concurrent jobs, at most the target's concurrency (or `concurrency`, the build's option) at once,
 * Slurm placing each on a node of its own; a check runs alone (it is not timed).
 */
export function jobGroups(jobs: PlannedJob[], content: Content, concurrency?: number): JobGroup[] {
  const groups = new Map<string, JobGroup>();
  for (const job of jobs) {
    const { launch } = content.targets.find((t) => t.id === job.cell.target)!;
    const cluster = job.kind === 'cell' && launch.kind === 'slurm';
    const rounds = job.kind === 'cell' && (launch.kind === 'local' || launch.kind === 'ssh');
    const name = cluster ? `slurm ${job.cell.target}` : rounds ? `${job.cell.benchmark}/${job.cell.target}` : `${job.kind} ${job.id}`;
    const group = groups.get(name) ?? { jobs: [], concurrency: cluster && launch.kind === 'slurm' ? (concurrency ?? launch.concurrency) : null };
    group.jobs.push(job);
    groups.set(name, group);
  }
  return [...groups.values()].flatMap((group) => {
    if (group.concurrency !== null) return [group];
    const parts = Math.ceil(group.jobs.length / MAX_INTERLEAVED);
    return Array.from({ length: parts }, (_, i) => ({ jobs: group.jobs.slice(i * MAX_INTERLEAVED, (i + 1) * MAX_INTERLEAVED), concurrency: null }));
  });
}

/**
 * Runs the jobs group by group (interleavedGroups, runInRounds), storing each outcome in the cache
 * as soon as it is known. Environments are made and runners synced before a group starts.
 */
export async function runJobs(jobs: PlannedJob[], options: RunOptions): Promise<RunSummary> {
  const { root, content, cache, reporter } = options;
  const environments = new Map<string, Promise<Environment>>();
  const environmentOf = (framework: Framework) => {
    let environment = environments.get(framework.id);
    if (!environment) {
      environment = ensureEnvironment(root, framework, reporter.log);
      environments.set(framework.id, environment);
    }
    return environment;
  };
  const synced = new Map<string, Promise<void>>();
  const syncOnce = (target: Target) => {
    if (!synced.has(target.id)) synced.set(target.id, syncRunners(target, root));
    return synced.get(target.id)!;
  };

  const summary: RunSummary = { executed: [], interrupted: false, stoppedEarly: false, unsaved: [] };
  if (jobs.length) await checkWritable(cache);
  let done = 0;
  const store = async (job: PlannedJob, outcome: JobOutcome) => {
    let note = '';
    try {
      if (!(await storeOutcome(cache, job, outcome))) note = ' (an earlier ok result of the same inputs is kept)';
    } catch (error) {
      const kept = await keepElsewhere(job, outcome);
      summary.unsaved.push(kept);
      note = ` (NOT STORED: ${(error as Error).message}; its record is kept at ${kept})`;
    }
    const executed = { job, outcome };
    reporter.log(`[${++done}/${jobs.length}] ${jobLabel(job)}: ${describeOutcome(executed)}${note}`);
    summary.executed.push(executed);
    if (options.strict && !succeeded(executed)) summary.stoppedEarly = true;
  };

  for (const group of jobGroups(jobs, content, options.concurrency)) {
    if (summary.stoppedEarly) break;
    // Everything that may take long and is not measured happens before any process starts.
    const launches: Launched[] = [];
    for (const job of group.jobs) {
      const framework = content.frameworks.find((f) => f.id === job.cell.framework)!;
      const target = content.targets.find((t) => t.id === job.cell.target)!;
      try {
        const ownEnvironment = target.launch.kind === 'local' || (target.launch.kind === 'slurm' && !target.launch.python);
        const python = ownEnvironment ? (await environmentOf(framework)).python : null;
        await syncOnce(target);
        launches.push({ job, launch: launchFor(target, python, root, jobArgs(job), job.inputs!.environment.variables) });
      } catch (error) {
        if (options.signal?.aborted) break;
        await store(job, environmentFailure(error as Error));
      }
    }
    const roundsOptions: RoundsOptions = {
      root,
      content,
      reporter,
      signal: options.signal,
      position: () => [done + 1, jobs.length],
      onOutcome: async (job, outcome) => {
        await store(job, outcome);
        return summary.stoppedEarly;
      },
    };
    const unfinished = group.concurrency === null ? await runInRounds(launches, roundsOptions) : await runConcurrently(launches, group.concurrency, roundsOptions);
    if (options.signal?.aborted) {
      for (const job of unfinished) reporter.log(`${jobLabel(job)}: interrupted; nothing stored for it`);
      summary.interrupted = true;
      break;
    }
  }
  return summary;
}

export interface Launched {
  job: PlannedJob;
  launch: Launch;
}

export interface RoundsOptions {
  root: string;
  content: Content;
  reporter: Reporter;
  signal?: AbortSignal;
  /** The progress line's [index, total]. */
  position: () => [number, number];
  /** Hears each classified outcome as soon as its process ends; returns true to stop the others. */
  onOutcome: (job: PlannedJob, outcome: JobOutcome) => Promise<boolean>;
  /** The machine's available memory in bytes (os.freemem: MemAvailable on Linux); tests replace it. */
  freeMemory?: () => number;
}

/** Memory left free when one more waiting runner is started (beside twice the most one has taken). */
export const MEMORY_RESERVE = 2 * 1024 ** 3;

const formatBytes = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/**
 * Runs one group of jobs. Alone, a job runs from start to end. Together, cells run in interleaved
 * rounds (as asv does): each runner is started and warmed up in turn and then waits; round r gives
 * every cell its r-th repeat, one process working at a time, so a change of machine load during
 * the group hits every framework and mode alike. Returns the jobs that did not finish (stopped).
 */
export async function runInRounds(group: Launched[], options: RoundsOptions): Promise<PlannedJob[]> {
  const { root, content, reporter } = options;
  const interleaved = group.length > 1;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  type Running = { job: PlannedJob; process: JobProcess };
  const running: Running[] = [];
  const finish = async (entry: Running) => {
    running.splice(running.indexOf(entry), 1);
    try {
      if (await options.onOutcome(entry.job, classify(entry.job, await entry.process.outcome))) stop.abort();
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      running.push(entry); // stopped before it finished
    }
  };
  const turn = async (entry: Running, label: string) => {
    reporter.cellStarted(label, ...options.position());
    const waiting = await entry.process.ready();
    reporter.cellFinished();
    if (!waiting) await finish(entry);
  };

  const freeMemory = options.freeMemory ?? freemem;
  let perProcess = 0; // the most memory one started runner has taken, as seen from the free memory
  const roomForOneMore = () => freeMemory() >= MEMORY_RESERVE + 2 * perProcess;
  try {
    // Batches of the group: as many runners wait at once as the memory holds (at least one), then
    // their rounds run to the end, then the next batch starts.
    for (let next = 0; next < group.length && !signal.aborted;) {
      do {
        const { job, launch } = group[next++];
        const before = freeMemory();
        const spec = jobSpec(job, content, interleaved);
        const entry = { job, process: startJob({ root, launch, kind: job.kind, spec, timeoutS: job.timeoutS, onProgress: reporter.progress, signal }) };
        running.push(entry);
        await turn(entry, interleaved ? `${jobLabel(job)} (start and warm-up)` : jobLabel(job));
        perProcess = Math.max(perProcess, before - freeMemory());
      } while (next < group.length && !signal.aborted && (running.length === 0 || roomForOneMore()));
      if (next < group.length && running.length) {
        reporter.log(`${running.length} runners wait in memory (${formatBytes(freeMemory())} free, up to ${formatBytes(perProcess)} each): their rounds run before the next ${group.length - next} start`);
      }
      for (let round = 1; running.length && !signal.aborted; round++) {
        for (const entry of [...running]) {
          if (signal.aborted) break;
          entry.process.go();
          await turn(entry, `round ${round}: ${jobLabel(entry.job)}`);
        }
      }
    }
  } finally {
    stop.abort(); // processes still waiting (interrupted, or stopped early) are stopped
    await Promise.allSettled(running.map((entry) => entry.process.outcome));
  }
  return running.map((entry) => entry.job);
}

/**
 * Runs a group of cluster jobs concurrently, at most `concurrency` at once: each runs from start to
 * end (no rounds: a waiting job would hold its allocation), its outcome stored as soon as it ends.
 * Stopping (Ctrl-C, --strict) stops every running job's process group, which cancels its Slurm
 * job; the queued ones are never submitted. Returns the jobs that did not finish.
 */
export async function runConcurrently(group: Launched[], concurrency: number, options: RoundsOptions): Promise<PlannedJob[]> {
  const { root, content, reporter } = options;
  const queue = [...group];
  const running = new Set<PlannedJob>();
  const unfinished: PlannedJob[] = [];
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const state = () => `${running.size} running, ${queue.length} queued`;
  const worker = async () => {
    for (let next = queue.shift(); next && !signal.aborted; next = queue.shift()) {
      const { job, launch } = next;
      running.add(job);
      reporter.log(`${jobLabel(job)}: submitted (${state()})`);
      try {
        const raw = await runJob({ root, launch, kind: job.kind, spec: jobSpec(job, content), timeoutS: job.timeoutS, signal });
        if (await options.onOutcome(job, classify(job, raw))) stop.abort();
      } catch (error) {
        if (!(error instanceof Interrupted)) throw error;
        unfinished.push(job);
      } finally {
        running.delete(job);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, group.length) }, worker));
  return [...unfinished, ...queue.map((entry) => entry.job)];
}
