// Small valid records for tests of the pipeline's stages.
import { CACHE_ENTRY_VERSION, PROTOCOL_VERSION, SPEC_VERSION } from '../../src/pipeline/schemas.ts';
import type { CacheEntry, CellId, RunnerResult } from '../../src/pipeline/schemas.ts';
import type { Expected } from '../../src/pipeline/outcome.ts';

export const CELL: CellId = { benchmark: 'cnn-cifar10', framework: 'pytorch', target: 'cpu', mode: 'fp32', profile: 'smoke' };

/** What CELL's benchmark (content/benchmarks/cnn-cifar10.json) expects of a result on the cpu target. */
export const EXPECTED: Expected = {
  metric: { name: 'train_seconds', unit: 's', label: 'training time' }, param_count: 3441592, throughput_unit: 'images/s', flop_per_item: 375e6,
  hardware: { kind: 'cpu', name: 'cpu', memory_gb: null, peak_flops: null, memory_bandwidth: null },
};

export function runnerResult(median = 1.5): RunnerResult {
  return {
    protocol: PROTOCOL_VERSION,
    event: 'result',
    metric: { name: 'train_seconds', unit: 's', samples: [median], median, min: median, max: median },
    throughput: { unit: 'images/s', samples: [100], median: 100, min: 100, max: 100 },
    warmup_s: 0.5,
    epoch_seconds: [[median]],
    loss_per_epoch: [[2.1]],
    accuracy: 0.3,
    accuracies: [0.3],
    checksum: null,
    param_count: 3441592,
    fast_path: [],
    fused_rnn: null,
    data: { name: 'synthetic-cifar10', synthetic: true, sha256: null, placement: 'host' },
    environment: {
      python: '3.11.7', framework: 'pytorch', framework_version: '2.13.0', platform: 'linux', cpu_model: 'x', cpu_count: 2,
      device: 'cpu', cuda: null, cudnn: null, driver: null, gpu_name: null, gpu_memory_bytes: null, tf32: null,
    },
    notes: [],
  };
}

export function cacheEntry(overrides: Partial<CacheEntry> = {}): CacheEntry {
  return {
    entry_version: CACHE_ENTRY_VERSION,
    key: 'a'.repeat(64),
    cell: CELL,
    inputs: {
      spec_version: SPEC_VERSION,
      protocol: PROTOCOL_VERSION,
      cell: CELL,
      params: { epochs: 1 },
      target: { hardware: { kind: 'cpu', name: 'cpu', memory_gb: null, peak_flops: null, memory_bandwidth: null }, device: 'cpu' },
      environment: { requirements: { path: 'runners/pytorch/requirements.txt', sha256: 'b'.repeat(64) }, variables: {} },
      files: { 'runners/pytorch/cnn_cifar10.py': 'c'.repeat(64) },
    },
    status: 'ok',
    result: runnerResult(),
    error: null,
    started_at: '2026-11-24T10:00:00.000Z',
    finished_at: '2026-11-24T10:00:02.000Z',
    wall_s: 2,
    command: ['python', 'runners/pytorch/cnn_cifar10.py', '--cell', 'cell.json'],
    ...overrides,
  };
}

export function failedEntry(overrides: Partial<CacheEntry> = {}): CacheEntry {
  return cacheEntry({
    status: 'failed',
    result: null,
    error: { message: 'the runner exited with code 1', exit_code: 1, stderr_tail: ['RuntimeError: boom'] },
    ...overrides,
  });
}
