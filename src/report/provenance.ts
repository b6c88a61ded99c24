// What a cell's provenance page shows beyond the raw record: how to reproduce the cell, whether its
// key checks out, its environment as labelled facts, its repeats side by side with their rounds, and
// the calibration readings taken around them.
import { cellKey } from '../pipeline/key.ts';
import type { CellId, DatasetRow, Target } from '../pipeline/schemas.ts';
import { formatNumber, shellLine } from './format.ts';

/** The pipeline command that measures this one cell (when the cache has no entry for its key). */
export function reproduceCommand(cell: CellId, target: Target | undefined): string {
  const args = ['npm', 'run', 'build', '--', '--benchmark', cell.benchmark, '--framework', cell.framework, '--target', cell.target, '--mode', cell.mode];
  if (!target || target.profile !== cell.profile) args.push('--profile', cell.profile);
  return shellLine(args);
}

export interface MeasureStep {
  /** What the step does, and where it runs. */
  text: string;
  command: string;
}

/**
 * How to measure this one cell. A target the build reaches (the local CPU, or a launcher: ssh,
 * slurm) takes one build command; an offline target (a GPU box the build cannot reach) takes the
 * README's three steps: plan here, execute there, ingest here, then render.
 */
export function measureSteps(cell: CellId, target: Target | undefined): MeasureStep[] {
  if (target?.launch.kind !== 'offline') {
    const where = target?.launch.kind === 'ssh' || target?.launch.kind === 'slurm' ? `its ${target.launch.kind} launcher reaches the machine` : 'it runs here';
    return [{ text: `From the repository root (${where}); the build measures the cell when the cache has no entry for its key:`, command: reproduceCommand(cell, target) }];
  }
  const plan = ['npm', 'run', 'plan', '--', '--target', cell.target, '--benchmark', cell.benchmark, '--framework', cell.framework, '--mode', cell.mode];
  return [
    {
      text: `Here, plan the cell: it is written to plans/${cell.target}-<time>.json (a plan holds the cells the cache lacks for the current inputs; a cell already measured is planned again once its inputs change).`,
      command: shellLine(plan),
    },
    {
      text: `On the machine with the ${target.label}, in a copy of this repository with the framework's pinned requirements installed (plain Python, no Node, no network):`,
      command: `python3 scripts/execute-plan.py plans/${cell.target}-<time>.json --bundle ${cell.target}-bundle.json`,
    },
    { text: 'Back here, ingest the bundle (it is validated, stored in the cache and written to the datasets), then render the report:', command: `npm run ingest -- ${cell.target}-bundle.json && npm run build -- --render-only` },
  ];
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
  gpu_power_limit_w: 'GPU power limit',
  gpu_sm_clock_max_mhz: 'GPU clock, maximum',
  tf32: 'TF32',
  cpu_model: 'CPU',
  cpu_count: 'CPU count',
  cpu_peak_flops: 'CPU peak (fp32)',
  variables: 'Environment variables',
};

/** The fields that describe a GPU: "n/a" on a run that had none, rather than "unknown". */
const GPU_FIELDS = new Set(['gpu_name', 'gpu_memory_bytes', 'gpu_power_limit_w', 'gpu_sm_clock_max_mhz', 'driver', 'cuda', 'cudnn', 'tf32']);

/** "some_field_name" -> "Some field name", for fields a newer runner records that the report does not know yet. */
const humanName = (name: string) => `${name[0].toUpperCase()}${name.slice(1).replaceAll('_', ' ')}`;

function shownValue(name: string, value: unknown, onCpu: boolean): string {
  if (value === null || value === undefined || (onCpu && name === 'tf32' && value === false)) return onCpu && GPU_FIELDS.has(name) ? 'n/a (ran on the CPU)' : 'unknown';
  if (name === 'gpu_memory_bytes' && typeof value === 'number') return `${(value / 2 ** 30).toFixed(1)} GiB`;
  if (name === 'gpu_power_limit_w' && typeof value === 'number') return `${value} W`;
  if (name === 'gpu_sm_clock_max_mhz' && typeof value === 'number') return `${value} MHz`;
  if (name === 'cpu_peak_flops' && typeof value === 'object') {
    const peak = value as { fp32: number; basis: string };
    return `${formatNumber(peak.fp32 / 1e9)} GFLOP/s: ${peak.basis}`;
  }
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (name === 'variables' && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? entries.map(([key, v]) => `${key}=${String(v)}`).join(', ') : 'none set';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Labelled environment facts, known fields first in a fixed order, then anything else recorded; on
 * a run on the CPU the GPU's fields read "n/a (ran on the CPU)".
 */
export function environmentFacts(environment: Record<string, unknown>): { label: string; value: string }[] {
  const onCpu = environment.device === 'cpu';
  const known = Object.keys(ENVIRONMENT_LABELS).filter((name) => name in environment);
  const extra = Object.keys(environment).filter((name) => !(name in ENVIRONMENT_LABELS)).sort();
  return [...known, ...extra].map((name) => ({ label: ENVIRONMENT_LABELS[name] ?? humanName(name), value: shownValue(name, environment[name], onCpu) }));
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
