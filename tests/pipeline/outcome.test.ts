// The one outcome classifier (src/pipeline/outcome.ts), on raw outcomes as the build's own run and
// the offline executor record them: every status, for cells and checks, the TF32 rule and the peak.
import { describe, expect, test } from 'vitest';
import { classify, parseLine } from '../../src/pipeline/outcome.ts';
import type { EquivalenceOutcome, RawOutcome } from '../../src/pipeline/schemas.ts';
import { CELL, EXPECTED, runnerResult } from './fixtures.ts';

const cell = { kind: 'cell' as const, cell: CELL, timeoutS: 300, expected: EXPECTED };
const check = { kind: 'check' as const, cell: CELL, timeoutS: 300, expected: EXPECTED };

const raw = (overrides: Partial<RawOutcome> = {}): RawOutcome => ({
  exit_code: 0, signal: null, timed_out: false, stdout: [], stdout_truncated: false, stderr_tail: [],
  started_at: '2026-12-01T10:00:00.000Z', finished_at: '2026-12-01T10:00:09.000Z', wall_s: 9, command: ['python', 'runner.py'], ...overrides,
});

const line = (value: object) => JSON.stringify(value);
const progress = line({ protocol: 1, event: 'progress', phase: 'train', step: 1 });
const result = (tf32: boolean | null = null) => line({ ...runnerResult(), environment: { ...runnerResult().environment, tf32 } });

const outcome = (overrides: Partial<EquivalenceOutcome> = {}): EquivalenceOutcome => ({
  check_version: 1, model: 'cnn', probe: '2 images', output_shape: [2, 10], max_abs_diff: 1.5e-6, scale: 1.97, relative_diff: 7.6e-7,
  tolerance: 1e-4, param_count: 3441592, expected_param_count: 3441592, passed: true, versions: { torch: '2.13.0' }, ...overrides,
});

describe('a cell', () => {
  test("a job that Slurm cancelled is recorded with Slurm's reason: its time limit as timeout, anything else as failed", () => {
    const cancelled = (why: string) => raw({ exit_code: null, signal: 'SIGTERM', stderr_tail: [`slurmstepd: error: *** STEP 12.0 ON node7 CANCELLED AT 2026-12-03T07:00:19 ${why} ***`, 'srun: error: node7: task 0: Terminated'] });
    expect(classify(cell, cancelled('DUE TO TIME LIMIT'))).toMatchObject({ status: 'timeout', error: { message: 'Slurm cancelled the job due to time limit' } });
    expect(classify(cell, cancelled('DUE TO PREEMPTION'))).toMatchObject({ status: 'failed', error: { message: 'Slurm cancelled the job due to preemption' } });
    expect(classify(cell, cancelled('DUE TO NODE FAILURE')).error?.message).toBe('Slurm cancelled the job due to node failure');
    expect(classify(cell, raw({ exit_code: 1, stderr_tail: ['*** not slurm ***'] })).error?.message).toBe('the runner exited with code 1: *** not slurm ***');
  });

  test('a result that is not plausible for its benchmark is invalid-output, naming why', () => {
    const edited = (change: (r: ReturnType<typeof runnerResult>) => void) => {
      const result = runnerResult();
      change(result);
      return raw({ stdout: [line(result)] });
    };
    expect(classify(cell, edited((r) => (r.param_count = 25557032))).error?.message).toMatch(/has 25557032 parameters; the benchmark's has 3441592/);
    expect(classify(cell, edited((r) => (r.metric.median = 9))).error?.message).toMatch(/outside \[min, max\]/);
    expect(classify(cell, edited((r) => (r.throughput.unit = 'tokens/s'))).error?.message).toMatch(/throughput is in tokens\/s/);
    expect(classify(cell, edited((r) => (r.metric = { ...r.metric, samples: [0], median: 0, min: 0, max: 0 }))).status).toBe('invalid-output');
    expect(classify(cell, raw({ stdout: [result()], stdout_truncated: true })).error?.message).toMatch(/more than 16 MB/);
  });

  test('progress then one result, exit 0: ok with the result, its times and command kept', () => {
    const classified = classify(cell, raw({ stdout: [progress, result()] }));
    expect(classified).toMatchObject({ status: 'ok', error: null, wall_s: 9, command: ['python', 'runner.py'] });
    expect(classified.result?.metric.median).toBe(1.5);
  });

  test('a crash is failed with its exit code and last stderr line; a signal is named', () => {
    expect(classify(cell, raw({ exit_code: 1, stdout: [progress], stderr_tail: ['Traceback', 'RuntimeError: out of memory'] }))).toMatchObject({
      status: 'failed', result: null, error: { message: 'the runner exited with code 1: RuntimeError: out of memory', exit_code: 1, stderr_tail: ['Traceback', 'RuntimeError: out of memory'] },
    });
    expect(classify(cell, raw({ exit_code: null, signal: 'SIGKILL' })).error?.message).toBe('the runner was killed by SIGKILL');
  });

  test('exit code 3 is unavailable with the import error; a timeout says the limit even when a result was printed', () => {
    expect(classify(cell, raw({ exit_code: 3, stderr_tail: ["ModuleNotFoundError: No module named 'torch'"] }))).toMatchObject({
      status: 'unavailable', error: { message: "ModuleNotFoundError: No module named 'torch'" },
    });
    expect(classify(cell, raw({ exit_code: null, signal: 'SIGTERM', timed_out: true, stdout: [result()] }))).toMatchObject({
      status: 'timeout', result: null, error: { message: 'no result within the 300 s timeout; the runner was stopped' },
    });
  });

  test('no result, two results, a line that is not JSON, another protocol or an unknown event: invalid output, saying which', () => {
    expect(classify(cell, raw({ stdout: [progress] })).error?.message).toBe('the runner exited without a result event');
    expect(classify(cell, raw({ stdout: [result(), result()] })).error?.message).toBe('the runner printed 2 result events; exactly one is allowed');
    expect(classify(cell, raw({ stdout: ['Epoch 1/1', result()] })).error?.message).toMatch(/not JSON: Epoch 1\/1/);
    expect(classify(cell, raw({ stdout: [line({ protocol: 2, event: 'progress' }), result()] })).error?.message).toMatch(/does not speak protocol 1/);
    expect(classify(cell, raw({ stdout: [line({ protocol: 1, event: 'party' }), result()] })).error?.message).toBe('unknown event "party"');
    const { metric: _metric, ...partial } = runnerResult();
    expect(classify(cell, raw({ stdout: [line(partial)] }))).toMatchObject({ status: 'invalid-output', error: { message: expect.stringMatching(/metric/) } });
  });

  test('TF32 on in an fp32 cell is a failure; in a fast cell, or off, it is not', () => {
    expect(classify(cell, raw({ stdout: [result(true)] }))).toMatchObject({ status: 'failed', error: { message: 'TF32 was on in fp32 mode: the result is not a true fp32 measurement' } });
    expect(classify({ ...cell, cell: { ...CELL, mode: 'fast' } }, raw({ stdout: [result(true)] })).status).toBe('ok');
    expect(classify(cell, raw({ stdout: [result(false)] })).status).toBe('ok');
  });
});

describe('a result above its peak FLOP/s (a timing bug)', () => {
  // runnerResult's throughput is 100 images/s: 37.5 GFLOP/s of cnn-cifar10 (375 MFLOP per image).
  const measured = (images: number, peak: object | null = null) => {
    const r = runnerResult();
    r.throughput = { ...r.throughput, samples: [images / 2, images], median: images / 2, min: images / 2, max: images };
    r.environment = { ...r.environment, cpu_peak_flops: peak as never };
    return raw({ stdout: [line(r)] });
  };
  const cpuPeak = (ceiling: boolean) => ({ fp32: 40e9, basis: '16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 1 core x 1.25 GHz', ceiling });
  const gpu = { kind: 'gpu' as const, name: 'H100', memory_gb: 80, peak_flops: { fp32: 67e12, bf16: 989e12 }, memory_bandwidth: 3.35e12 };
  const onGpu = (mode: 'fp32' | 'fast') => ({ ...cell, cell: { ...CELL, target: 'h100', mode }, expected: { ...EXPECTED, hardware: gpu } });

  test('a cpu cell whose fastest repeat passes the CPU peak recorded with it is failed, naming both figures and the basis', () => {
    expect(classify(cell, measured(100, cpuPeak(true)))).toMatchObject({ status: 'ok' });
    const over = classify(cell, measured(120, cpuPeak(true)));
    expect(over.status).toBe('failed');
    expect(over.error?.message).toBe('its fastest repeat implies 45 GFLOP/s, above the fp32 peak of 40 GFLOP/s (recorded with the result: 16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 1 core x 1.25 GHz): a timing bug, or not fp32');
  });

  test('a CPU peak at a clock that boost passes (not a ceiling), or none recorded, fails nothing', () => {
    expect(classify(cell, measured(120, cpuPeak(false))).status).toBe('ok');
    expect(classify(cell, measured(1e6)).status).toBe('ok');
  });

  test("a GPU cell is held to its target's declared peak for the mode: fp32 in fp32, bf16 in fast", () => {
    // 67 TFLOP/s fp32 is 178,667 images/s of 375 MFLOP; 200,000 is 75 TFLOP/s.
    expect(classify(onGpu('fp32'), measured(200000))).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/implies 75 TFLOP\/s, above the fp32 peak of 67 TFLOP\/s \(declared by the target\)/) } });
    expect(classify(onGpu('fast'), measured(200000)).status).toBe('ok');
    expect(classify(onGpu('fast'), measured(3e6)).error?.message).toMatch(/implies 1130 TFLOP\/s, above the bf16 peak of 989 TFLOP\/s/);
  });

  test('a benchmark without a FLOP count has no peak to pass', () => {
    expect(classify({ ...onGpu('fp32'), expected: { ...EXPECTED, hardware: gpu, flop_per_item: null } }, measured(1e9)).status).toBe('ok');
  });
});

describe('a check', () => {
  test("its outcome as the protocol's result event is ok, a failing network included (its outcome says so)", () => {
    const passed = classify(check, raw({ stdout: [line({ protocol: 1, event: 'result', ...outcome() })] }));
    expect(passed).toMatchObject({ status: 'ok', result: { relative_diff: 7.6e-7, passed: true } });
    expect(classify(check, raw({ stdout: [line({ protocol: 1, event: 'result', ...outcome({ passed: false }) })] })).result?.passed).toBe(false);
  });

  test('a bare outcome line, a result missing a field or a cell result are invalid output; a crash names the check', () => {
    expect(classify(check, raw({ stdout: [line(outcome())] })).error?.message).toMatch(/does not speak protocol 1/);
    const { passed: _passed, ...partial } = outcome();
    expect(classify(check, raw({ stdout: [line({ protocol: 1, event: 'result', ...partial })] })).error?.message).toMatch(/passed/);
    expect(classify(check, raw({ stdout: [result()] })).status).toBe('invalid-output');
    expect(classify(check, raw({ exit_code: 1, stderr_tail: ['KeyError: conv1.kernel'] })).error?.message).toBe('the check exited with code 1: KeyError: conv1.kernel');
  });

  test('the TF32 rule is a cell rule: a check has no environment to read it from', () => {
    expect(classify(check, raw({ stdout: [line({ protocol: 1, event: 'result', ...outcome() })] })).status).toBe('ok');
  });
});

test('parseLine reads turn and progress events and names what is wrong with the rest', () => {
  expect(parseLine(line({ protocol: 1, event: 'turn', repeat: 2 }))).toEqual({ kind: 'turn', repeat: 2 });
  expect(parseLine(progress).kind).toBe('progress');
  expect(parseLine(line({ protocol: 1, event: 'turn', repeat: 0 }))).toMatchObject({ kind: 'bad', why: expect.stringMatching(/invalid turn event/) });
});
