// Running one cell: the runner as a child process (argument array, never a shell string), speaking
// the JSON-lines protocol of runners/README.md on stdout.
import { execa } from 'execa';
import type { Launch } from './launch.ts';
import { z } from 'zod';
import { PROTOCOL_VERSION, ProgressEventSchema, RunnerResultSchema, TurnEventSchema } from './schemas.ts';
import type { CellSpec, ProgressEvent, RunnerResult, RunStatus } from './schemas.ts';

/** A runner exits with this code when its framework cannot be imported. */
export const EXIT_UNAVAILABLE = 3;
const STDERR_TAIL_LINES = 30;
const KILL_GRACE_MS = 5_000;

export interface RunRequest {
  root: string;
  launch: Launch;
  spec: CellSpec;
  timeoutS: number;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  status: RunStatus;
  result: RunnerResult | null;
  error: { message: string; exit_code: number | null; stderr_tail: string[] } | null;
  started_at: string;
  finished_at: string;
  wall_s: number;
  command: string[];
}

export class Interrupted extends Error {}

/**
 * What went wrong with a process that ended this way (a runner, or the Rosetta check), or null
 * when it exited 0: `what` names it in the message, `expected` what it should have printed.
 */
export function exitProblem(
  done: { timedOut: boolean; exitCode?: number; signal?: string },
  stderrTail: string[],
  { what, expected, timeoutS }: { what: string; expected: string; timeoutS: number },
): { status: RunStatus; message: string } | null {
  if (done.timedOut) return { status: 'timeout', message: `no ${expected} within the ${timeoutS} s timeout; the ${what} was stopped` };
  if (done.exitCode === EXIT_UNAVAILABLE) return { status: 'unavailable', message: stderrTail.at(-1) ?? 'the framework could not be imported' };
  if (done.exitCode === 0) return null;
  const how = done.signal ? `was killed by ${done.signal}` : `exited with code ${done.exitCode}`;
  return { status: 'failed', message: `the ${what} ${how}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}` };
}

type Line =
  | { kind: 'progress'; event: ProgressEvent }
  | { kind: 'result'; result: RunnerResult }
  | { kind: 'turn'; repeat: number }
  | { kind: 'bad'; why: string };

export function parseLine(line: string): Line {
  const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { kind: 'bad', why: `a line on stdout is not JSON: ${shown}` };
  }
  const event = (raw as { event?: unknown; protocol?: unknown } | null) ?? {};
  if (event.protocol !== PROTOCOL_VERSION) return { kind: 'bad', why: `a line does not speak protocol ${PROTOCOL_VERSION}: ${shown}` };
  const schemas = { result: RunnerResultSchema, progress: ProgressEventSchema, turn: TurnEventSchema } as const;
  const schema = typeof event.event === 'string' && Object.hasOwn(schemas, event.event) ? schemas[event.event as keyof typeof schemas] : null;
  if (!schema) return { kind: 'bad', why: `unknown event ${JSON.stringify(event.event)}` };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { kind: 'bad', why: `invalid ${String(event.event)} event:\n${z.prettifyError(parsed.error)}` };
  if (event.event === 'result') return { kind: 'result', result: parsed.data as RunnerResult };
  if (event.event === 'turn') return { kind: 'turn', repeat: (parsed.data as { repeat: number }).repeat };
  return { kind: 'progress', event: parsed.data as ProgressEvent };
}

/** A started runner: its turns (interleaved cells), then its outcome. */
export interface RunnerProcess {
  /** Resolves true when the runner waits for its next repeat's turn, false once it has ended. */
  ready(): Promise<boolean>;
  /** Gives the waiting runner its turn: it runs its next repeat. */
  go(): void;
  /** The outcome, once the process has ended; throws Interrupted when the signal stopped it. */
  outcome: Promise<RunOutcome>;
}

/**
 * Starts a cell's runner. The cell spec is the first line of its standard input, which stays open
 * for the `go` of each turn when the cell is interleaved. The timeout counts only the time the
 * runner works, not the time it waits for its turn.
 */
export function startCell(request: RunRequest): RunnerProcess {
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
  child.stdin.on('error', () => {}); // a runner that died before reading its input: its exit says why
  child.stdin.write(`${JSON.stringify(spec)}\n`);
  if (!spec.interleaved) child.stdin.end();

  // The timeout's clock runs while the runner works and stops while it waits for its turn.
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

  const results: RunnerResult[] = [];
  let bad: string | null = null;
  const outcome = (async (): Promise<RunOutcome> => {
    try {
      for await (const line of child.iterable({ from: 'stdout' })) {
        if (!line.trim()) continue;
        const parsed = parseLine(line);
        if (parsed.kind === 'bad') bad ??= parsed.why;
        else if (parsed.kind === 'result') results.push(parsed.result);
        else if (parsed.kind === 'turn') {
          stopClock();
          waiting = true;
          notify(true);
        } else request.onProgress?.(parsed.event);
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
    const stderrTail = (done.stderr as unknown as string[]).slice(-STDERR_TAIL_LINES);
    const exitCode = done.exitCode ?? null;
    const result = (status: RunStatus, message: string | null): RunOutcome => ({
      status,
      result: status === 'ok' ? results[0] : null,
      error: message === null ? null : { message, exit_code: exitCode, stderr_tail: stderrTail },
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      wall_s: (finished.getTime() - started.getTime()) / 1000,
      command: launch.display,
    });

    const problem = exitProblem({ ...done, timedOut }, stderrTail, { what: 'runner', expected: 'result', timeoutS: request.timeoutS });
    if (problem) return result(problem.status, problem.message);
    if (bad) return result('invalid-output', bad);
    if (results.length === 0) return result('invalid-output', 'the runner exited without a result event');
    if (results.length > 1) return result('invalid-output', `the runner printed ${results.length} result events; exactly one is allowed`);
    if (spec.mode === 'fp32' && results[0].environment.tf32 === true)
      return result('failed', 'TF32 was on in fp32 mode: the result is not a true fp32 measurement');
    return result('ok', null);
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

/** Runs a cell from start to end, giving it every turn at once. */
export async function runCell(request: RunRequest): Promise<RunOutcome> {
  const runner = startCell(request);
  while (await runner.ready()) runner.go();
  return runner.outcome;
}
