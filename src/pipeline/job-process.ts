// One job's process (a cell's runner, or the Rosetta check): started on its target with an
// argument array (never a shell string), its spec on the first line of stdin, the JSON-lines
// protocol of runners/README.md on stdout. What it returns is raw (how it ended, what it printed);
// outcome.ts classifies it.
import { execa } from 'execa';
import type { Content } from './content.ts';
import { DATA_DIR } from './files.ts';
import { SEED } from './key.ts';
import type { Launch } from './launch.ts';
import { parseLine, STDERR_TAIL_LINES } from './outcome.ts';
import type { PlannedJob } from './plan.ts';
import { PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { CellSpec, ProgressEvent, RawOutcome } from './schemas.ts';

const KILL_GRACE_MS = 5_000;

/** The arguments of the target's Python for a job: its runner, or the check of its runner. */
export function jobArgs(job: Pick<PlannedJob, 'kind' | 'runner'>): string[] {
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
 */
export function startJob(request: ProcessRequest): JobProcess {
  const { root, spec, launch } = request;
  const started = new Date();
  const child = execa(launch.file, launch.args, {
    cwd: root,
    env: { ...launch.env, PYTHONUNBUFFERED: '1' },
    stdin: 'pipe',
    lines: true,
    reject: false,
    forceKillAfterDelay: KILL_GRACE_MS,
    cancelSignal: request.signal,
    maxBuffer: { stdout: 10_000_000, stderr: 10_000_000 },
  });
  child.stdin.on('error', () => {}); // a process that died before reading its input: its exit says why
  child.stdin.write(`${JSON.stringify(spec)}\n`);
  if (!spec.interleaved) child.stdin.end();

  // The timeout's clock runs while the process works and stops while it waits for its turn.
  let budgetMs = request.timeoutS * 1000;
  let workingSince = Date.now();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const startClock = () => {
    workingSince = Date.now();
    timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, Math.max(0, budgetMs));
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

  const stdout: string[] = [];
  const outcome = (async (): Promise<RawOutcome> => {
    try {
      for await (const line of child.iterable({ from: 'stdout' })) {
        stdout.push(line);
        if (!line.trim()) continue;
        const parsed = parseLine(line, request.kind);
        if (parsed.kind === 'turn') {
          stopClock();
          waiting = true;
          notify(true);
        } else if (parsed.kind === 'progress') request.onProgress?.(parsed.event);
      }
    } catch {
      // The child failed or was stopped; its outcome below says how.
    }
    const done = await child;
    clearTimeout(timer);
    ended = true;
    notify(false);
    if (request.signal?.aborted) throw new Interrupted(`${spec.benchmark}/${spec.framework} was interrupted`);
    const finished = new Date();
    return {
      exit_code: done.exitCode ?? null,
      signal: done.signal ?? null,
      timed_out: timedOut,
      stdout,
      stderr_tail: (done.stderr as unknown as string[]).slice(-STDERR_TAIL_LINES),
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

/** Runs a job from start to end, giving it every turn at once. */
export async function runJob(request: ProcessRequest): Promise<RawOutcome> {
  const job = startJob(request);
  while (await job.ready()) job.go();
  return job.outcome;
}
