// One job's process with fake runners (tests/pipeline/fake_runners/), classified as the build
// does: the protocol, exits, timeouts and interruption, end to end.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Interrupted, runJob } from '../../src/pipeline/job-process.ts';
import { classify } from '../../src/pipeline/outcome.ts';
import { PROTOCOL_VERSION, SPEC_VERSION } from '../../src/pipeline/schemas.ts';
import type { ProgressEvent } from '../../src/pipeline/schemas.ts';
import { CELL, EXPECTED } from './fixtures.ts';

const FAKES = join(import.meta.dirname, 'fake_runners');

async function run(name: string, options: { timeoutS?: number; signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void } = {}) {
  const timeoutS = options.timeoutS ?? 30;
  const raw = await runJob({
    root: FAKES,
    launch: { file: 'python3', args: [`${name}.py`, '--cell', '-'], env: {}, display: [] },
    kind: 'cell',
    spec: { spec_version: SPEC_VERSION, protocol: PROTOCOL_VERSION, key: 'k', ...CELL, device: 'cpu', params: {}, data_dir: 'data', seed: 0, interleaved: false },
    timeoutS,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return classify({ kind: 'cell', cell: CELL, timeoutS, expected: EXPECTED }, raw);
}

describe('runner protocol', () => {
  test('a well-behaved runner gives ok, its result and its progress events', async () => {
    const events: ProgressEvent[] = [];
    const outcome = await run('good', { onProgress: (e) => events.push(e) });
    expect(outcome.status).toBe('ok');
    expect(outcome.result?.metric.median).toBe(1.5);
    expect(outcome.error).toBeNull();
    expect(events.map((e) => e.step)).toEqual([1, 2]);
  });

  test('a runner that crashes is failed, with its exit code and the tail of its stderr', async () => {
    const outcome = await run('crash');
    expect(outcome.status).toBe('failed');
    expect(outcome.result).toBeNull();
    expect(outcome.error?.exit_code).toBe(1);
    expect(outcome.error?.stderr_tail.at(-1)).toBe('RuntimeError: out of memory');
    expect(outcome.error?.message).toContain('exited with code 1');
  });

  test('a runner that hangs past its timeout is stopped and marked timeout', async () => {
    const started = Date.now();
    const outcome = await run('hang', { timeoutS: 1 });
    expect(outcome.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('a runner that prints something other than protocol lines gives invalid-output', async () => {
    const outcome = await run('garbage');
    expect(outcome.status).toBe('invalid-output');
    expect(outcome.error?.message).toContain('not JSON');
    expect(outcome.result).toBeNull();
  });

  test('a runner that prints two results gives invalid-output', async () => {
    const outcome = await run('two_results');
    expect(outcome.status).toBe('invalid-output');
    expect(outcome.error?.message).toContain('2 result events');
  });

  test('a runner that prints nothing gives invalid-output', async () => {
    const outcome = await run('nothing');
    expect(outcome.status).toBe('invalid-output');
    expect(outcome.error?.message).toContain('without a result');
  });

  test('a result that does not match the schema gives invalid-output naming the field', async () => {
    const outcome = await run('bad_result');
    expect(outcome.status).toBe('invalid-output');
    expect(outcome.error?.message).toMatch(/metric/);
  });

  test('a runner that cannot import its framework is unavailable, with the import error', async () => {
    const outcome = await run('unavailable');
    expect(outcome.status).toBe('unavailable');
    expect(outcome.error?.message).toContain("No module named 'tensorflow'");
  });

  test('an abort stops the child and raises Interrupted instead of recording a result', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    await expect(run('hang', { signal: controller.signal })).rejects.toBeInstanceOf(Interrupted);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
