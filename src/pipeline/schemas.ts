// One zod schema per kind of record, shared by the build script and Astro's content collections.
// Types come from the schemas, never written twice.
import { z } from 'zod';

export const SPEC_VERSION = 1;
export const PROTOCOL_VERSION = 1;
export const CACHE_ENTRY_VERSION = 1;

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
/** A list whose items are each named once (a repeated one would run its cells twice). */
const unique = <T extends z.ZodType>(item: T) => z.array(item).refine((list) => new Set(list).size === list.length, 'each item once: this list repeats one');
/** A path inside the repository: never absolute, never `..`, so that what runs is the file the key
 * hashes. */
const repoPath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/, 'a relative path inside the repository')
  .refine((path) => !path.split('/').some((part) => part === '..' || part === '.' || part === ''), 'a relative path inside the repository, without . or .. parts');

export const ModeSchema = z.enum(['fp32', 'fast']);
export const ProfileSchema = z.enum(['full', 'cpu', 'smoke']);
const Params = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));

export const BenchmarkSchema = z.strictObject({
  id,
  // The real data files a runner reads from the data folder when they are there (else it trains on
  // the stand-in generated from the seed): their sha256 is an input of the cell key.
  data_files: unique(z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/, 'a file name in the data folder')),
  // Position in the report (the spec's order).
  order: z.int(),
  title: z.string(),
  kind: z.enum(['training', 'inference']),
  summary: z.string(),
  param_count: z.int().positive(),
  metric: z.strictObject({ name: z.string(), unit: z.string(), label: z.string() }),
  throughput_unit: z.string(),
  flop_per_item: z.number().positive().nullable(),
  modes: unique(ModeSchema).refine((modes) => modes.length > 0, 'at least one mode'),
  profiles: z.strictObject({ full: Params, cpu: Params, smoke: Params }),
  timeout_s: z.strictObject({ full: z.number().positive(), cpu: z.number().positive(), smoke: z.number().positive() }),
});

export const FrameworkSchema = z.strictObject({
  id,
  name: z.string(),
  runner_dir: repoPath,
  environment: z.strictObject({
    requirements: repoPath,
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string()),
  }),
  implements: unique(id),
  // Why it has no runner for a benchmark it does not implement (shown in the plan and the report);
  // a benchmark left out of both has "no runner yet".
  unsupported: z.record(id, z.string().min(1)).optional(),
  unavailable_on: z.record(z.string(), z.string()),
  notes: z.string(),
  // Runners in another language (runners/<framework>/<benchmark>.ts or .R): `program`, a Python
  // program in the framework's environment, runs them (`program RUNNER --cell -`, and with
  // `--check` the Rosetta check); `files`, what else they execute (a worker, package pins). All
  // of these are inputs of the keys, like the runner.
  host: z.strictObject({ language: z.enum(['typescript', 'r']), program: repoPath, files: z.array(repoPath) }).optional(),
});

// How cells reach a target's machine. `local`: this machine's framework environments. `offline`:
// plan / execute / ingest by hand (a GPU box with no network). `ssh` and `slurm`: an argument-array
// prefix (never a shell string) before the remote Python; the runners are synced first for ssh.
const argv = z.array(z.string().min(1)).nonempty();
const Launch = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('local') }),
  z.strictObject({ kind: z.literal('offline') }),
  z.strictObject({ kind: z.literal('ssh'), argv, remote_dir: z.string().min(1), python: z.string().min(1) }),
  // slurm: one job per cell through `argv` (srun and its options), at most `concurrency` at once
  // (the build's --concurrency overrides it); `exclusive` (the default) adds --exclusive, so that
  // no two timed cells share a node; false lets the options given (-c, --gres) decide. Without
  // `python`, each cell runs with its framework's environment made by the build (on a file system
  // the nodes share).
  z.strictObject({
    kind: z.literal('slurm'),
    argv,
    python: z.string().min(1).optional(),
    concurrency: z.int().positive().default(1),
    exclusive: z.boolean().default(true),
  }),
]);

export const TargetSchema = z.strictObject({
  id,
  label: z.string(),
  hardware: z.strictObject({
    kind: z.enum(['cpu', 'gpu']),
    name: z.string(),
    memory_gb: z.number().positive().nullable(),
    peak_flops: z.record(z.string(), z.number().positive()).nullable(),
    memory_bandwidth: z.number().positive().nullable(),
  }),
  device: z.enum(['cpu', 'cuda']),
  profile: ProfileSchema,
  launch: Launch,
});

export const CellIdSchema = z.strictObject({
  benchmark: id,
  framework: id,
  target: id,
  mode: ModeSchema,
  profile: ProfileSchema,
});

// Everything a cell's result depends on; its canonical JSON hashes to the cell key.
export const KeyInputsSchema = z.strictObject({
  spec_version: z.int(),
  protocol: z.int(),
  cell: CellIdSchema,
  params: Params,
  target: z.strictObject({ hardware: TargetSchema.shape.hardware, device: TargetSchema.shape.device }),
  environment: z.strictObject({
    requirements: z.strictObject({ path: z.string(), sha256: z.string() }),
    variables: z.record(z.string(), z.string()),
  }),
  files: z.record(z.string(), z.string()),
  // The seed of the stand-in data, the shuffles and the dropout; optional only so that entries
  // stored before it was part of the key still parse (and show as stale).
  seed: z.int().optional(),
  // Each real data file the runner reads: its sha256, or null when absent (the stand-in is used).
  data: z.record(z.string(), z.string().nullable()).optional(),
});

// What a runner receives (runners/README.md).
export const CellSpecSchema = z.strictObject({
  spec_version: z.int(),
  protocol: z.int(),
  key: z.string(),
  ...CellIdSchema.shape,
  device: TargetSchema.shape.device,
  params: Params,
  data_dir: z.string(),
  seed: z.int(),
  // Wait for the build's turn (stdin) before each repeat: the build runs cells in rounds.
  interleaved: z.boolean(),
});

const Stats = z.strictObject({
  samples: z.array(z.number()).nonempty(),
  median: z.number(),
  min: z.number(),
  max: z.number(),
});

export const ProgressEventSchema = z.looseObject({
  protocol: z.literal(PROTOCOL_VERSION),
  event: z.literal('progress'),
  phase: z.string(),
  repeat: z.int().optional(),
  repeats: z.int().optional(),
  epoch: z.int().optional(),
  epochs: z.int().optional(),
  step: z.int().optional(),
  steps: z.int().optional(),
  loss: z.number().optional(),
});

const nullableString = z.string().nullable();

// The machine a result was measured on (rosetta.machine): results of different ids are never
// compared silently.
export const MachineSchema = z.strictObject({
  id: z.string(),
  cpu_model: nullableString,
  cpu_flags_sha256: nullableString,
  cores: z.int().nullable(),
  memory_gib: z.number().nullable(),
  os: z.string(),
  gpu_name: nullableString,
  driver: nullableString,
  cuda: nullableString,
});

// A short fixed workload timed before each repeat and after the last (rosetta.repeats): if it
// moves, the machine's speed changed under the cell.
export const CalibrationSchema = z.strictObject({
  workload: z.string(),
  readings: z
    .array(z.strictObject({ at: z.iso.datetime(), cpu_gflops: z.number().positive(), gpu_gflops: z.number().positive().nullable(), load_1m: z.number().nonnegative() }))
    .nonempty(),
});

// One per timed repeat, in the order of the samples: its round in an interleaved build (null when
// the cell ran alone) and when it started.
export const RoundSchema = z.strictObject({ repeat: z.int().positive(), round: z.int().positive().nullable(), started_at: z.iso.datetime() });

// The CPU's fp32 peak FLOP/s as the runner computed it (rosetta.environment, cpu_peak_from), with
// the basis of each factor in words. `ceiling`: every factor is a maximum (the clock is cpufreq's
// highest), so no honest result passes it; false when the clock is a base or current one.
export const CpuPeakSchema = z.strictObject({ fp32: z.number().positive(), basis: z.string(), ceiling: z.boolean() });

export const RunnerResultSchema = z.strictObject({
  protocol: z.literal(PROTOCOL_VERSION),
  event: z.literal('result'),
  metric: Stats.extend({ name: z.string(), unit: z.string() }),
  throughput: Stats.extend({ unit: z.string() }),
  warmup_s: z.number().nonnegative(),
  epoch_seconds: z.array(z.array(z.number())).nullable(),
  // null where a loss was not finite (a diverged run): JSON has no NaN.
  loss_per_epoch: z.array(z.array(z.number().nullable())).nullable(),
  accuracy: z.number().min(0).max(1).nullable(),
  accuracies: z.array(z.number()).nullable(),
  checksum: z.number().nullable(),
  param_count: z.int().positive(),
  fast_path: z.array(z.string()),
  fused_rnn: z.boolean().nullable(),
  data: z.strictObject({
    name: z.string(),
    synthetic: z.boolean(),
    sha256: nullableString,
    placement: z.enum(['host', 'device']),
  }),
  environment: z.looseObject({
    python: z.string(),
    framework: z.string(),
    framework_version: nullableString,
    platform: nullableString,
    cpu_model: nullableString,
    cpu_count: z.int().nullable(),
    // Absent in results recorded before it was; null where the flags or the clock are unknown.
    cpu_peak_flops: CpuPeakSchema.nullable().optional(),
    device: nullableString,
    cuda: nullableString,
    cudnn: nullableString,
    driver: nullableString,
    gpu_name: nullableString,
    gpu_memory_bytes: z.number().nullable(),
    tf32: z.boolean().nullable(),
  }),
  // Optional only so that results stored before they were recorded still parse.
  machine: MachineSchema.optional(),
  rounds: z.array(RoundSchema).optional(),
  calibration: CalibrationSchema.optional(),
  notes: z.array(z.string()),
});

/** The dense peak FLOP/s a result is measured against. `recorded`: the CPU's, recorded with the
 * result, rather than its target's declared one; `basis`: where it comes from, in words. */
export interface PeakFlops {
  precision: string;
  flops: number;
  ceiling: boolean;
  recorded: boolean;
  basis: string;
}

/**
 * The peak a result is measured against: the target's declared peak for the precision of the mode
 * (fp32 runs true fp32; fast mode's documented fast path is bf16 mixed precision), or on a cpu target
 * that declares none, the CPU's fp32 peak recorded with the result. On the CPU fast mode computes in
 * fp32 unless its fast path names bf16 (no bf16 peak is recorded). Null where none is known. Here,
 * beside the records it reads, because the build (outcome.ts: a result above its peak is a timing
 * bug) and the report (ratios.ts: the fraction of peak) both need it and share only this module.
 */
export function peakFlops(hardware: Target['hardware'], result: Pick<RunnerResult, 'environment' | 'fast_path'>, mode: Mode): PeakFlops | null {
  const cpu = hardware.kind === 'cpu';
  const bf16 = mode === 'fast' && (!cpu || result.fast_path.some((entry) => /bf16|bfloat16/i.test(entry)));
  const precision = bf16 ? 'bf16' : 'fp32';
  const declared = hardware.peak_flops?.[precision];
  if (declared !== undefined) return { precision, flops: declared, ceiling: true, recorded: false, basis: 'declared by the target' };
  const recorded = cpu && !bf16 ? result.environment.cpu_peak_flops : null;
  return recorded ? { precision, flops: recorded.fp32, ceiling: recorded.ceiling, recorded: true, basis: `recorded with the result: ${recorded.basis}` } : null;
}

// A runner of an interleaved cell is ready for repeat `repeat` and waits for `go` on stdin.
export const TurnEventSchema = z.strictObject({ protocol: z.literal(PROTOCOL_VERSION), event: z.literal('turn'), repeat: z.int().positive() });

export const RunStatusSchema = z.enum(['ok', 'failed', 'timeout', 'invalid-output', 'unavailable']);

export const CacheEntrySchema = z.strictObject({
  entry_version: z.literal(CACHE_ENTRY_VERSION),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  cell: CellIdSchema,
  inputs: KeyInputsSchema,
  status: RunStatusSchema,
  // Present when status is ok.
  result: RunnerResultSchema.nullable(),
  // Present when status is not ok: what went wrong, in words a reader can act on.
  error: z
    .strictObject({ message: z.string(), exit_code: z.int().nullable(), stderr_tail: z.array(z.string()) })
    .nullable(),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  wall_s: z.number().nonnegative(),
  command: z.array(z.string()),
});

// The Rosetta check (runners/lib/equivalence/): what `python -m equivalence` prints for one
// framework x benchmark, its network from the canonical weights against the NumPy reference.
// The training-step part of a check (training benchmarks): the runner's own training step from the
// canonical weights, dropout off, on one fixed batch, against the float64 NumPy reference.
export const TrainingCheckSchema = z.strictObject({
  steps: z.int().positive(),
  batch: z.int().positive(),
  optimizer: z.string(),
  losses: z.array(z.number().nullable()), // null: a loss that was not finite (JSON has no NaN)
  expected_losses: z.array(z.number()),
  // null when the runner's loss or weights were not finite.
  loss_relative_diff: z.number().nonnegative().nullable(),
  loss_tolerance: z.number().positive(),
  update_relative_diff: z.number().nonnegative().nullable(),
  worst_tensor: z.string(),
  update_tolerance: z.number().positive(),
  // Where the framework's optimizer differs from the spec by design: the difference, and its size
  // (the framework's documented algorithm against the spec's, both in float64). Null otherwise.
  by_design: z
    .strictObject({ difference: z.string(), loss_relative_diff: z.number().nonnegative(), update_relative_diff: z.number().nonnegative(), worst_tensor: z.string() })
    .nullable(),
  passed: z.boolean(),
});

export const EquivalenceOutcomeSchema = z.strictObject({
  check_version: z.int(),
  model: z.string(),
  probe: z.string(),
  output_shape: z.array(z.int()),
  // null when the network's output was not finite.
  max_abs_diff: z.number().nonnegative().nullable(),
  scale: z.number().positive(),
  relative_diff: z.number().nonnegative().nullable(),
  tolerance: z.number().positive(),
  param_count: z.int(),
  expected_param_count: z.int(),
  // null for inference benchmarks; absent in checks of version 1 (forward pass only).
  training: TrainingCheckSchema.nullable().optional(),
  passed: z.boolean(),
  versions: z.record(z.string(), z.string()),
});

// What the check prints: its outcome as the protocol's result event.
export const CheckResultSchema = EquivalenceOutcomeSchema.extend({ protocol: z.literal(PROTOCOL_VERSION), event: z.literal('result') });

export const CheckIdSchema = z.strictObject({ benchmark: id, framework: id });

// One stored check, cache/equivalence/<benchmark>/<framework>.<key>.json. Its key inputs are those
// of the framework's fp32 smoke cell on the cpu target plus the check's own files.
export const CheckEntrySchema = CacheEntrySchema.omit({ cell: true, result: true }).extend({
  check: CheckIdSchema,
  outcome: EquivalenceOutcomeSchema.nullable(),
});

export const CellStatusSchema = z.enum([
  'ok',
  'stale',
  'not-measured',
  'unsupported',
  'unavailable',
  'failed',
  'timeout',
  'invalid-output',
]);

// An earlier result of the same cell (replaced by a re-measure, or measured under older inputs):
// what it measured, when, where, and which inputs differ from the cell's current ones.
export const HistoryPointSchema = z.strictObject({
  entry_key: z.string(),
  status: RunStatusSchema,
  finished_at: z.string(),
  median: z.number().nullable(),
  unit: z.string().nullable(),
  machine: z.string().nullable(),
  changed: z.array(z.string()),
});

// One row of a result dataset (content/results/<benchmark>.json): what the report renders.
export const DatasetRowSchema = z.strictObject({
  ...CellIdSchema.shape,
  status: CellStatusSchema,
  // The cell key for the current inputs (null when the cell cannot exist, e.g. unsupported).
  key: z.string().nullable(),
  // The cache entry the numbers come from; differs from key when the result is stale.
  entry_key: z.string().nullable(),
  reason: z.string().nullable(),
  // The last lines the runner wrote to stderr, for cells that failed.
  stderr_tail: z.array(z.string()),
  stale_inputs: z.array(z.string()),
  // Why the numbers are noisy (the calibration moved, or the repeats spread, beyond the thresholds
  // of datasets.ts); empty when they are not.
  noisy: z.array(z.string()),
  result: RunnerResultSchema.omit({ protocol: true, event: true }).nullable(),
  // The inputs of entry_key, so a reader can recompute the key.
  inputs: KeyInputsSchema.nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  wall_s: z.number().nullable(),
  command: z.array(z.string()).nullable(),
  // The cell's earlier results, oldest first (not the one shown).
  history: z.array(HistoryPointSchema).default([]),
});

// The Rosetta check of one framework's network for the dataset's benchmark: the same bookkeeping as
// a cell's row, with the check's outcome in place of a result.
export const EquivalenceRowSchema = DatasetRowSchema.pick({
  status: true, key: true, entry_key: true, reason: true, stderr_tail: true, stale_inputs: true, inputs: true, finished_at: true, wall_s: true, command: true,
}).extend({ framework: id, outcome: EquivalenceOutcomeSchema.nullable() });

export const DatasetSchema = z.strictObject({
  benchmark: id,
  spec_version: z.int(),
  rows: z.array(DatasetRowSchema),
  equivalence: z.array(EquivalenceRowSchema).default([]),
});

// What a job's process did, unclassified: how it ended and what it printed. The build's own run
// and the offline executor both record this; outcome.ts alone turns it into a status and a result.
export const RawOutcomeSchema = z.strictObject({
  exit_code: z.int().nullable(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  // Every line the process printed on stdout (the protocol's events).
  stdout: z.array(z.string()),
  // The process printed more than the limit (job-process.ts, OUTPUT_LIMIT_BYTES) and was stopped.
  stdout_truncated: z.boolean(),
  stderr_tail: z.array(z.string()),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  wall_s: z.number().nonnegative(),
  command: z.array(z.string()),
});

// The cells of one target to run elsewhere (scripts/plan.ts writes it, scripts/execute-plan.py runs
// it): `args` after the target's Python, the spec on the process's standard input.
export const PlanCellSchema = z.strictObject({
  id: z.string(),
  key: z.string(),
  cell: CellIdSchema,
  inputs: KeyInputsSchema,
  args: z.array(z.string()),
  timeout_s: z.number().positive(),
  spec: CellSpecSchema,
  variables: z.record(z.string(), z.string()),
  // The exact pins of the cell's requirements (package name -> version): the executor runs a cell
  // only when the Python it uses has these installed, since the key says they ran.
  pins: z.record(z.string(), z.string()),
});

export const PLAN_VERSION = 3;
export const BUNDLE_VERSION = 3;

export const PlanFileSchema = z.strictObject({
  plan_version: z.literal(PLAN_VERSION),
  created_at: z.iso.datetime(),
  target: id,
  cells: z.array(PlanCellSchema),
});

// What the executor brings back: for each cell it ran, its id, key and inputs and the raw outcome of its
// process, classified at ingest by the build's own code. Entries are read one by one, so one bad
// entry does not lose the others.
// `installed`: the version of each pinned package in the executor's Python (null: not installed).
export const BundleEntrySchema = z.strictObject({
  id: z.string(),
  key: z.string(),
  inputs: KeyInputsSchema,
  installed: z.record(z.string(), z.string().nullable()),
  raw: RawOutcomeSchema,
});

export const BundleSchema = z.strictObject({
  bundle_version: z.literal(BUNDLE_VERSION),
  target: id,
  plan_created_at: z.string(),
  entries: z.array(z.unknown()),
});

export type Mode = z.infer<typeof ModeSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type Benchmark = z.infer<typeof BenchmarkSchema>;
export type Framework = z.infer<typeof FrameworkSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type CellId = z.infer<typeof CellIdSchema>;
export type KeyInputs = z.infer<typeof KeyInputsSchema>;
export type CellSpec = z.infer<typeof CellSpecSchema>;
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;
export type RunnerResult = z.infer<typeof RunnerResultSchema>;
export type RunStatus = z.infer<typeof RunStatusSchema>;
export type CacheEntry = z.infer<typeof CacheEntrySchema>;
export type EquivalenceOutcome = z.infer<typeof EquivalenceOutcomeSchema>;
export type CheckId = z.infer<typeof CheckIdSchema>;
export type CheckResult = z.infer<typeof CheckResultSchema>;
export type RawOutcome = z.infer<typeof RawOutcomeSchema>;
export type BundleEntry = z.infer<typeof BundleEntrySchema>;
export type CheckEntry = z.infer<typeof CheckEntrySchema>;
export type EquivalenceRow = z.infer<typeof EquivalenceRowSchema>;
export type CellStatus = z.infer<typeof CellStatusSchema>;
export type DatasetRow = z.infer<typeof DatasetRowSchema>;
export type HistoryPoint = z.infer<typeof HistoryPointSchema>;
export type Dataset = z.infer<typeof DatasetSchema>;
export type Launch = z.infer<typeof Launch>;
export type Machine = z.infer<typeof MachineSchema>;
export type Calibration = z.infer<typeof CalibrationSchema>;
export type PlanCell = z.infer<typeof PlanCellSchema>;
export type PlanFile = z.infer<typeof PlanFileSchema>;
export type Bundle = z.infer<typeof BundleSchema>;
