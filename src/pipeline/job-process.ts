// One job's process (a cell's runner, or the Rosetta check): started on its target with an
// argument array (never a shell string), its spec on the first line of stdin, the JSON-lines
// protocol of runners/README.md on stdout. What it returns is raw (how it ended, what it printed);
// outcome.ts classifies it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Content } from './content.ts';
import { DATA_DIR } from './files.ts';
import { SEED } from './key.ts';
import { systemPython } from './environments.ts';
import type { Launch } from './launch.ts';
import { OUTPUT_LIMIT_MB, parseLine, STDERR_TAIL_LINES } from './outcome.ts';
import type { PlannedJob } from './plan.ts';
import { PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { CellSpec, ProgressEvent, RawOutcome } from './schemas.ts';

/** How long a stopped job's process group has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;
const OUTPUT_LIMIT_BYTES = OUTPUT_LIMIT_MB * 1024 * 1024;
/** The most of its stderr a job keeps (its tail), whatever it prints. */
const STDERR_LIMIT_BYTES = 64 * 1024;

/** The arguments of the target's Python for a job: its runner, or the check of its runner. A
 * runner in another language goes through its framework's host, which runs the check too. */
export function jobArgs(job: Pick<PlannedJob, 'kind' | 'runner' | 'host'>): string[] {
  if (job.host) return [job.host, job.runner!, ...(job.kind === 'check' ? ['--check'] : []), '--cell', '-'];
  return job.kind === 'cell' ? [job.runner!, '--cell', '-'] : ['-m', 'equivalence', '--runner', job.runner!, '--cell', '-'];
}

/** What a job's process receives (runners/README.md): its cell's spec. `interleaved`: the cell runs
 * in rounds with other cells, waiting for its turn before each repeat. */
export function jobSpec(job: Pick<PlannedJob, 'key' | 'cell'>, content: Content, interleaved = false): CellSpec {
  const target = content.targets.find((t) => t.id === job.cell.target)!;
  const benchmark = content.benchmarks.find((b) => b.id === job.cell.benchmark)!;
  return {
    spec_version: SPEC_VERSION,
    protocol: PROTOCOL_VERSION,
    key: job.key!,
    ...job.cell,
    device: target.device,
    params: benchmark.profiles[job.cell.profile],
    data_dir: DATA_DIR,
    seed: SEED,
    interleaved,
  };
}

export interface ProcessRequest {
  root: string;
  launch: Launch;
  kind: PlannedJob['kind'];
  spec: CellSpec;
  timeoutS: number;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

export class Interrupted extends Error {}

/** A started job: its turns (interleaved cells), then its raw outcome. */
export interface JobProcess {
  /** Resolves true when the process waits for its next repeat's turn, false once it has ended. */
  ready(): Promise<boolean>;
  /** Gives the waiting process its turn: it runs its next repeat. */
  go(): void;
  /** How it ended, once it has; throws Interrupted when the signal stopped it. */
  outcome: Promise<RawOutcome>;
}

/**
 * Starts a job's process. The spec is the first line of its standard input, which stays open for
 * the `go` of each turn when the cell is interleaved. The timeout counts only the time the process
 * works, not the time it waits for its turn.
 *
 * The process leads a process group of its own, and nothing of the group outlives the job: when the
 * process exits, what it started is killed (a child holding its output open cannot hold the build);
 * at its timeout or interruption the whole group gets SIGTERM, then SIGKILL; when the build dies,
 * the reaper (scripts/reaper.py) kills it. Its stdout is kept up to OUTPUT_LIMIT_BYTES (a process
 * that prints more is stopped), its stderr as a bounded tail.
 */
export function startJob(request: ProcessRequest): JobProcess {
  const { root, spec, launch } = request;
  const started = new Date();
  const child = spawn(launch.file, launch.args, {
    cwd: root,
    env: { ...process.env, ...launch.env, PYTHONUNBUFFERED: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const group = processGroup(child);
  let spawnError: Error | null = null;
  child.on('error', (error) => (spawnError = error));
  child.stdin.on('error', () => {}); // a process that died before reading its input: its exit says why
  child.stdin.write(`${JSON.stringify(spec)}\n`);
  if (!spec.interleaved) child.stdin.end();

  let stopReason: 'timeout' | 'output' | 'interrupted' | null = null;
  const stop = (why: NonNullable<typeof stopReason>) => {
    stopReason ??= why;
    group.stop();
  };
  const onAbort = () => stop('interrupted');
  request.signal?.addEventListener('abort', onAbort);
  if (request.signal?.aborted) onAbort();

  // The timeout's clock runs while the process works and stops while it waits for its turn.
  let budgetMs = request.timeoutS * 1000;
  let workingSince = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const startClock = () => {
    workingSince = Date.now();
    timer = setTimeout(() => stop('timeout'), Math.max(0, budgetMs));
  };
  const stopClock = () => {
    clearTimeout(timer);
    budgetMs -= Date.now() - workingSince;
  };
  startClock();

  let waiting = false;
  let ended = false;
  let wake: ((ready: boolean) => void) | null = null;
  const notify = (ready: boolean) => {
    wake?.(ready);
    wake = null;
  };

  const stdout = boundedLines(OUTPUT_LIMIT_BYTES, () => stop('output'));
  const stderr = boundedTail(STDERR_TAIL_LINES);
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of stdout.push(chunk)) {
      if (!line.trim()) continue;
      const parsed = parseLine(line, request.kind);
      if (parsed.kind === 'turn') {
        stopClock();
        waiting = true;
        notify(true);
      } else if (parsed.kind === 'progress') request.onProgress?.(parsed.event);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // Once the process itself has exited, whatever it left running in its group is killed: its
  // output then closes, and the job is over however its children behave.
  child.on('exit', () => group.kill('SIGKILL'));

  const outcome = (async (): Promise<RawOutcome> => {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on('close', (code, sig) => resolve([code, sig]));
    });
    clearTimeout(timer);
    group.forget();
    request.signal?.removeEventListener('abort', onAbort);
    ended = true;
    notify(false);
    if (stopReason === 'interrupted') throw new Interrupted(`${spec.benchmark}/${spec.framework} was interrupted`);
    const finished = new Date();
    const errorLines = spawnError ? [`cannot start ${launch.file}: ${(spawnError as Error).message}`] : [];
    return {
      exit_code: spawnError ? null : exitCode,
      signal: signal ?? null,
      timed_out: stopReason === 'timeout',
      stdout: stdout.lines(),
      stdout_truncated: stopReason === 'output',
      stderr_tail: [...stderr.lines(), ...errorLines].slice(-STDERR_TAIL_LINES),
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      wall_s: (finished.getTime() - started.getTime()) / 1000,
      command: launch.display,
    };
  })();
  outcome.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection meanwhile

  return {
    ready: () => (waiting ? Promise.resolve(true) : ended ? Promise.resolve(false) : new Promise((resolve) => (wake = resolve))),
    go() {
      if (!waiting) return;
      waiting = false;
      startClock();
      child.stdin.write('go\n');
    },
    outcome,
  };
}

/** The process groups of this build's running jobs. */
const liveGroups = new Set<number>();
/** scripts/reaper.py, started with the first job: it kills the groups still listed if the build dies. */
let reaper: ChildProcess | null = null;
const REAPER = join(import.meta.dirname, '..', '..', 'scripts', 'reaper.py');

function tellReaper(line: string): void {
  if (!reaper) {
    reaper = spawn(systemPython(), [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.on('error', () => {}); // without it jobs still run and stop; only a kill -9 of the build would leave them
    reaper.stdin!.on('error', () => {});
    reaper.unref();
    (reaper.stdin as unknown as { unref(): void }).unref();
    // A build that exits (an error, a second Ctrl-C) kills its jobs at once; the reaper covers kill -9.
    process.on('exit', () => {
      for (const group of liveGroups) killGroup(group, 'SIGKILL');
    });
  }
  reaper.stdin!.write(`${line}\n`);
}

function killGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // the group is gone already
  }
}

/** The process group a job's process leads: kill it, stop it (SIGTERM, then SIGKILL), forget it once gone. */
function processGroup(child: ChildProcess) {
  const group = child.pid;
  let grace: NodeJS.Timeout | undefined;
  if (group) {
    liveGroups.add(group);
    tellReaper(`+${group}`);
  }
  const kill = (signal: NodeJS.Signals) => {
    if (group && liveGroups.has(group)) killGroup(group, signal);
  };
  return {
    kill,
    stop() {
      kill('SIGTERM');
      grace ??= setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    },
    forget() {
      clearTimeout(grace);
      if (group && liveGroups.delete(group)) tellReaper(`-${group}`);
    },
  };
}

const withoutCr = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);

/** A process's stdout as lines, up to `limit` bytes: past it, `onOverflow` is called and the rest dropped. */
function boundedLines(limit: number, onOverflow: () => void) {
  const decoder = new StringDecoder('utf8');
  const lines: string[] = [];
  let pending = '';
  let bytes = 0;
  return {
    /** Takes a chunk; returns the lines it completed. */
    push(chunk: Buffer): string[] {
      if (bytes > limit) return [];
      bytes += chunk.length;
      if (bytes > limit) {
        onOverflow();
        return [];
      }
      const parts = (pending + decoder.write(chunk)).split('\n');
      pending = parts.pop()!;
      const complete = parts.map(withoutCr);
      for (const line of complete) lines.push(line);
      return complete;
    },
    lines: () => (pending && bytes <= limit ? [...lines, withoutCr(pending)] : lines),
  };
}

/** The last `count` lines of a process's stderr, holding at most STDERR_LIMIT_BYTES of it. */
function boundedTail(count: number) {
  const decoder = new StringDecoder('utf8');
  let tail = '';
  return {
    push(chunk: Buffer) {
      tail = (tail + decoder.write(chunk)).slice(-STDERR_LIMIT_BYTES);
    },
    lines: () => {
      const lines = tail.split('\n').map(withoutCr);
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-count).map((line) => (line.length > 2000 ? `${line.slice(0, 2000)}...` : line));
    },
  };
}

/** Runs a job from start to end, giving it every turn at once. */
export async function runJob(request: ProcessRequest): Promise<RawOutcome> {
  const job = startJob(request);
  while (await job.ready()) job.go();
  return job.outcome;
}
