// Running one cell: the runner as a child process (argument array, never a shell string), speaking
// the JSON-lines protocol of runners/README.md on stdout.
import { execa } from 'execa';
import type { Launch } from './launch.ts';
import { z } from 'zod';
import { PROTOCOL_VERSION, ProgressEventSchema, RunnerResultSchema } from './schemas.ts';
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

type Line = { kind: 'progress'; event: ProgressEvent } | { kind: 'result'; result: RunnerResult } | { kind: 'bad'; why: string };

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
  const schema = event.event === 'result' ? RunnerResultSchema : event.event === 'progress' ? ProgressEventSchema : null;
  if (!schema) return { kind: 'bad', why: `unknown event ${JSON.stringify(event.event)}` };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { kind: 'bad', why: `invalid ${String(event.event)} event:\n${z.prettifyError(parsed.error)}` };
  return event.event === 'result'
    ? { kind: 'result', result: parsed.data as RunnerResult }
    : { kind: 'progress', event: parsed.data as ProgressEvent };
}

export async function runCell(request: RunRequest): Promise<RunOutcome> {
  const { root, spec, launch } = request;
  const started = new Date();

  // The spec goes to the runner's standard input (`--cell -`).
  const child = execa(launch.file, launch.args, {
    cwd: root,
    env: { ...launch.env, PYTHONUNBUFFERED: '1' },
    input: JSON.stringify(spec),
    lines: true,
    reject: false,
    timeout: request.timeoutS * 1000,
    forceKillAfterDelay: KILL_GRACE_MS,
    cancelSignal: request.signal,
    maxBuffer: { stdout: 10_000_000, stderr: 10_000_000 },
  });

  const results: RunnerResult[] = [];
  let bad: string | null = null;
  try {
    for await (const line of child.iterable({ from: 'stdout' })) {
      if (!line.trim()) continue;
      const parsed = parseLine(line);
      if (parsed.kind === 'bad') bad ??= parsed.why;
      else if (parsed.kind === 'result') results.push(parsed.result);
      else request.onProgress?.(parsed.event);
    }
  } catch {
    // The child failed or was stopped; its outcome below says how.
  }
  const done = await child;
  if (request.signal?.aborted) throw new Interrupted(`${spec.benchmark}/${spec.framework} was interrupted`);

  const finished = new Date();
  const stderrTail = (done.stderr as unknown as string[]).slice(-STDERR_TAIL_LINES);
  const exitCode = done.exitCode ?? null;
  const outcome = (status: RunStatus, message: string | null): RunOutcome => ({
    status,
    result: status === 'ok' ? results[0] : null,
    error: message === null ? null : { message, exit_code: exitCode, stderr_tail: stderrTail },
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    wall_s: (finished.getTime() - started.getTime()) / 1000,
    command: launch.display,
  });

  const problem = exitProblem(done, stderrTail, { what: 'runner', expected: 'result', timeoutS: request.timeoutS });
  if (problem) return outcome(problem.status, problem.message);
  if (bad) return outcome('invalid-output', bad);
  if (results.length === 0) return outcome('invalid-output', 'the runner exited without a result event');
  if (results.length > 1) return outcome('invalid-output', `the runner printed ${results.length} result events; exactly one is allowed`);
  if (spec.mode === 'fp32' && results[0].environment.tf32 === true)
    return outcome('failed', 'TF32 was on in fp32 mode: the result is not a true fp32 measurement');
  return outcome('ok', null);
}
