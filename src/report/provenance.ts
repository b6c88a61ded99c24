// What a cell's provenance page shows beyond the raw record: how to reproduce the cell, whether its
// key checks out, its environment as labelled facts, its repeats side by side with their rounds, and
// the calibration readings taken around them.
import { cellKey } from '../pipeline/key.ts';
import type { CellId, DatasetRow, Target } from '../pipeline/schemas.ts';
import { shellLine } from './format.ts';

/** The pipeline command that measures this one cell (when the cache has no entry for its key). */
export function reproduceCommand(cell: CellId, target: Target | undefined): string {
  const args = ['npm', 'run', 'build', '--', '--benchmark', cell.benchmark, '--framework', cell.framework, '--target', cell.target, '--mode', cell.mode];
  if (!target || target.profile !== cell.profile) args.push('--profile', cell.profile);
  return shellLine(args);
}

/** The runner command the pipeline ran, as recorded (cell.json holds the cell spec). */
export function runnerCommand(row: DatasetRow): string | null {
  return row.command?.length ? `PYTHONPATH=runners/lib ${shellLine(row.command)}` : null;
}

/** Whether sha256(canonical JSON of the inputs) is the entry's key; null without inputs. */
export function keyMatchesInputs(row: DatasetRow): boolean | null {
  return row.inputs && row.entry_key ? cellKey(row.inputs) === row.entry_key : null;
}

const ENVIRONMENT_LABELS: Record<string, string> = {
  framework: 'Framework',
  framework_version: 'Framework version',
  python: 'Python',
  numpy_version: 'NumPy',
  platform: 'Platform',
  device: 'Device',
  gpu_name: 'GPU',
  gpu_memory_bytes: 'GPU memory',
  driver: 'Driver',
  cuda: 'CUDA',
  cudnn: 'cuDNN',
  tf32: 'TF32',
  cpu_model: 'CPU',
  cpu_count: 'CPU count',
};

/** Labelled environment facts, known fields first in a fixed order, then anything else recorded. */
export function environmentFacts(environment: Record<string, unknown>): { label: string; value: string }[] {
  const known = Object.keys(ENVIRONMENT_LABELS).filter((name) => name in environment);
  const extra = Object.keys(environment).filter((name) => !(name in ENVIRONMENT_LABELS)).sort();
  return [...known, ...extra].map((name) => {
    const value = environment[name];
    const shown =
      value === null || value === undefined
        ? 'unknown'
        : name === 'gpu_memory_bytes' && typeof value === 'number'
          ? `${(value / 2 ** 30).toFixed(1)} GiB`
          : typeof value === 'boolean'
            ? value ? 'on' : 'off'
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value);
    return { label: ENVIRONMENT_LABELS[name] ?? name, value: shown };
  });
}

export interface Repeat {
  repeat: number;
  metric: number;
  throughput: number | null;
  accuracy: number | null;
  epochSeconds: number[] | null;
  losses: (number | null)[] | null;
  /** Its round in an interleaved build (null: the cell ran alone, or no rounds were recorded). */
  round: number | null;
  startedAt: string | null;
}

export function repeats(result: NonNullable<DatasetRow['result']>): Repeat[] {
  return result.metric.samples.map((metric, index) => {
    const round = result.rounds?.find((r) => r.repeat === index + 1);
    return {
      repeat: index + 1,
      metric,
      throughput: result.throughput.samples[index] ?? null,
      accuracy: result.accuracies?.[index] ?? null,
      epochSeconds: result.epoch_seconds?.[index] ?? null,
      losses: result.loss_per_epoch?.[index] ?? null,
      round: round?.round ?? null,
      startedAt: round?.started_at ?? null,
    };
  });
}

export interface Reading {
  /** "before repeat 1", ..., "after repeat 3". */
  when: string;
  at: string;
  cpuGflops: number;
  gpuGflops: number | null;
  load: number;
}

/** The calibration readings in the order taken: one before each repeat and one after the last. */
export function calibrationReadings(result: NonNullable<DatasetRow['result']>): Reading[] {
  const readings = result.calibration?.readings ?? [];
  return readings.map((reading, index) => ({
    when: index < readings.length - 1 ? `before repeat ${index + 1}` : `after repeat ${index}`,
    at: reading.at,
    cpuGflops: reading.cpu_gflops,
    gpuGflops: reading.gpu_gflops,
    load: reading.load_1m,
  }));
}
