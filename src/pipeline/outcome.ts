// The one outcome classifier: what a job's process did (its raw outcome: exit, signal, timeout,
// stdout lines, stderr tail) -> its status, its result and, when it is not ok, why in words. The
// build classifies its own runs with it and ingest the raw outcomes the offline executor brings
// back, so a result means the same wherever it was measured.
import { z } from 'zod';
import type { PlannedCell, PlannedCheck, PlannedJob } from './plan.ts';
import { CheckResultSchema, PROTOCOL_VERSION, ProgressEventSchema, RunnerResultSchema, TurnEventSchema, peakFlops } from './schemas.ts';
import type { Benchmark, CheckResult, Mode, ProgressEvent, RawOutcome, RunnerResult, RunStatus, Target } from './schemas.ts';

/** A runner (or the check) exits with this code when its framework cannot be imported. */
export const EXIT_UNAVAILABLE = 3;
/** How many of the last stderr lines an outcome keeps. */
export const STDERR_TAIL_LINES = 30;
/** The most a job may print on stdout (its protocol lines); a process that prints more is stopped
 * (job-process.ts and scripts/execute-plan.py). */
export const OUTPUT_LIMIT_MB = 16;

export interface Outcome<Result> {
  status: RunStatus;
  result: Result | null;
  error: { message: string; exit_code: number | null; stderr_tail: string[] } | null;
  started_at: string;
  finished_at: string;
  wall_s: number;
  command: string[];
}

export type CellOutcome = Outcome<RunnerResult>;
export type CheckOutcome = Outcome<CheckResult>;

export type Line<Result> =
  | { kind: 'progress'; event: ProgressEvent }
  | { kind: 'result'; result: Result }
  | { kind: 'turn'; repeat: number }
  | { kind: 'bad'; why: string };

/** The schema of the result event of each kind of job. */
const RESULT_SCHEMAS = { cell: RunnerResultSchema, check: CheckResultSchema } as const;

/** Reads one line of a job's stdout as an event of the protocol (runners/README.md). */
export function parseLine<Result = RunnerResult>(line: string, kind: PlannedJob['kind'] = 'cell'): Line<Result> {
  const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { kind: 'bad', why: `a line on stdout is not JSON: ${shown}` };
  }
  const event = (raw as { event?: unknown; protocol?: unknown } | null) ?? {};
  if (event.protocol !== PROTOCOL_VERSION) return { kind: 'bad', why: `a line does not speak protocol ${PROTOCOL_VERSION}: ${shown}` };
  const schemas = { result: RESULT_SCHEMAS[kind], progress: ProgressEventSchema, turn: TurnEventSchema } as const;
  const schema = typeof event.event === 'string' && Object.hasOwn(schemas, event.event) ? schemas[event.event as keyof typeof schemas] : null;
  if (!schema) return { kind: 'bad', why: `unknown event ${JSON.stringify(event.event)}` };
  const parsed = (schema as z.ZodType).safeParse(raw);
  if (!parsed.success) return { kind: 'bad', why: `invalid ${String(event.event)} event:\n${z.prettifyError(parsed.error)}` };
  if (event.event === 'result') return { kind: 'result', result: parsed.data as Result };
  if (event.event === 'turn') return { kind: 'turn', repeat: (parsed.data as { repeat: number }).repeat };
  return { kind: 'progress', event: parsed.data as ProgressEvent };
}

/** What every result of a benchmark must say (from its content record), and the hardware of the
 * target it runs on, whose peak no result passes (null where there is none, e.g. a check). */
export type Expected = Pick<Benchmark, 'metric' | 'param_count' | 'throughput_unit' | 'flop_per_item'> & { hardware: Target['hardware'] | null };

export const expectedOf = ({ metric, param_count, throughput_unit, flop_per_item }: Benchmark, target: Pick<Target, 'hardware'> | null): Expected =>
  ({ metric, param_count, throughput_unit, flop_per_item, hardware: target?.hardware ?? null });

/** Why a result cannot be a measurement of its benchmark, in words; empty when it is plausible.
 * Checked on every result: at the build's run, at ingest, and on every cache entry loaded. */
export function implausible(result: RunnerResult, expected: Pick<Expected, 'metric' | 'param_count' | 'throughput_unit'>): string[] {
  const problems: string[] = [];
  const { metric, throughput } = result;
  if (metric.name !== expected.metric.name || metric.unit !== expected.metric.unit)
    problems.push(`its metric is ${metric.name} in ${metric.unit}; the benchmark's is ${expected.metric.name} in ${expected.metric.unit}`);
  if (throughput.unit !== expected.throughput_unit) problems.push(`its throughput is in ${throughput.unit}; the benchmark's is in ${expected.throughput_unit}`);
  if (result.param_count !== expected.param_count) problems.push(`its network has ${result.param_count} parameters; the benchmark's has ${expected.param_count}`);
  for (const [what, stats] of [['metric', metric], ['throughput', throughput]] as const) {
    const values = [...stats.samples, stats.median, stats.min, stats.max];
    if (!values.every((value) => Number.isFinite(value) && value > 0)) problems.push(`its ${what} holds a value that is not a finite positive number`);
    else if (!(stats.min <= stats.median && stats.median <= stats.max) || stats.samples.some((value) => value < stats.min || value > stats.max))
      problems.push(`its ${what} median or samples lie outside [min, max] = [${stats.min}, ${stats.max}]`);
  }
  const times = [result.warmup_s, ...(result.epoch_seconds ?? []).flat()];
  if (!times.every((value) => Number.isFinite(value) && value >= 0)) problems.push('its warm-up or epoch times are not finite non-negative numbers');
  return problems;
}

const flops = (value: number) => (value >= 1e12 ? `${+(value / 1e12).toPrecision(3)} TFLOP/s` : `${+(value / 1e9).toPrecision(3)} GFLOP/s`);

/** Why a plausible result did not measure its cell (its status is then failed), in words; empty
 * when it did. TF32 on in fp32 mode is not fp32; a repeat whose FLOP/s (FLOP per item x items per
 * second) passes the peak it is measured against (schemas.ts, peakFlops) timed less than its work:
 * a timing bug. A peak that is not a ceiling (a CPU's at a clock that boost passes) checks nothing.
 * Checked wherever implausible is. */
export function mismeasured(result: RunnerResult, mode: Mode, expected: Pick<Expected, 'flop_per_item' | 'hardware'>): string[] {
  const faults: string[] = [];
  if (mode === 'fp32' && result.environment.tf32 === true) faults.push('TF32 was on in fp32 mode: the result is not a true fp32 measurement');
  const peak = expected.hardware && expected.flop_per_item !== null ? peakFlops(expected.hardware, result, mode) : null;
  const implied = result.throughput.max * (expected.flop_per_item ?? 0);
  if (peak?.ceiling && implied > peak.flops)
    faults.push(`its fastest repeat implies ${flops(implied)}, above the ${peak.precision} peak of ${flops(peak.flops)} (${peak.basis}): a timing bug${mode === 'fp32' ? ', or not fp32' : ''}`);
  return faults;
}

/** Why Slurm cancelled a job, from srun's stderr ("DUE TO TIME LIMIT", "DUE TO PREEMPTION",
 * "DUE TO NODE FAILURE", "BY 0"), or null when it did not. */
export function slurmCancellation(stderrTail: string[]): string | null {
  for (const line of stderrTail) {
    const found = /\*\*\* (?:JOB|STEP) \S+ ON \S+ CANCELLED AT \S+ (.+?) \*\*\*/.exec(line);
    if (found) return found[1];
  }
  return null;
}

/** Classifies what a job's process did. */
type Classified = Pick<PlannedJob, 'kind' | 'cell' | 'timeoutS' | 'expected'>;
export function classify(job: Classified & Pick<PlannedCell, 'kind'>, raw: RawOutcome): CellOutcome;
export function classify(job: Classified & Pick<PlannedCheck, 'kind'>, raw: RawOutcome): CheckOutcome;
export function classify(job: Classified, raw: RawOutcome): CellOutcome | CheckOutcome;
export function classify(job: Classified, raw: RawOutcome): CellOutcome | CheckOutcome {
  const what = job.kind === 'cell' ? 'runner' : 'check';
  const results: (RunnerResult | CheckResult)[] = [];
  let bad: string | null = null;
  for (const line of raw.stdout) {
    if (!line.trim()) continue;
    const parsed = parseLine<RunnerResult | CheckResult>(line, job.kind);
    if (parsed.kind === 'bad') bad ??= parsed.why;
    else if (parsed.kind === 'result') results.push(parsed.result);
  }
  const stderrTail = raw.stderr_tail.slice(-STDERR_TAIL_LINES);
  const outcome = (status: RunStatus, message: string | null) => ({
    status,
    result: status === 'ok' ? results[0] : null,
    error: message === null ? null : { message, exit_code: raw.exit_code, stderr_tail: stderrTail },
    started_at: raw.started_at,
    finished_at: raw.finished_at,
    wall_s: raw.wall_s,
    command: raw.command,
  }) as CellOutcome | CheckOutcome;

  if (raw.timed_out) return outcome('timeout', `no result within the ${job.timeoutS} s timeout; the ${what} was stopped`);
  if (raw.stdout_truncated) return outcome('invalid-output', `the ${what} printed more than ${OUTPUT_LIMIT_MB} MB on stdout and was stopped`);
  const cancelled = raw.exit_code !== 0 ? slurmCancellation(stderrTail) : null;
  if (cancelled) return outcome(/TIME LIMIT/.test(cancelled) ? 'timeout' : 'failed', `Slurm cancelled the job ${cancelled.toLowerCase()}`);
  if (raw.exit_code === EXIT_UNAVAILABLE) return outcome('unavailable', stderrTail.at(-1) ?? 'the framework could not be imported');
  if (raw.exit_code !== 0) {
    const how = raw.signal ? `was killed by ${raw.signal}` : raw.exit_code === null ? 'could not be started' : `exited with code ${raw.exit_code}`;
    return outcome('failed', `the ${what} ${how}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}`);
  }
  if (bad) return outcome('invalid-output', bad);
  if (results.length === 0) return outcome('invalid-output', `the ${what} exited without a result event`);
  if (results.length > 1) return outcome('invalid-output', `the ${what} printed ${results.length} result events; exactly one is allowed`);
  if (job.kind === 'check') return outcome('ok', null);
  const result = results[0] as RunnerResult;
  const problems = implausible(result, job.expected);
  if (problems.length) return outcome('invalid-output', `the result is not plausible for ${job.cell.benchmark}: ${problems.join('; ')}`);
  const faults = mismeasured(result, job.cell.mode, job.expected);
  return faults.length ? outcome('failed', faults.join('; ')) : outcome('ok', null);
}
