// The results diff: verdicts on fixture datasets built from real samples of this project's builds.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { diffResults, toMarkdown } from '../../src/pipeline/diff.ts';
import type { ComparedDataset, Row } from '../../src/pipeline/diff.ts';
import { ROOT } from './project.ts';
import REAL from '../fixtures/diff/cnn-cpu-two-builds.json' with { type: 'json' };

type Samples = Record<string, number[]>;
const samplesOf = (build: Record<string, { samples: number[] }>): Samples => Object.fromEntries(Object.entries(build).map(([cell, m]) => [cell, m.samples]));
const calibrationsOf = (build: Record<string, { calibration: number[] }>) => Object.fromEntries(Object.entries(build).map(([cell, m]) => [cell, m.calibration]));
const A = samplesOf(REAL.build_a);
const B = samplesOf(REAL.build_b);

/** A CNN dataset of the cpu row, one row per framework/mode with these samples (and these
 * calibration readings per cell, else steady ones at `gflops`). */
function dataset(
  samples: Samples,
  options: { build?: string; machine?: string; gflops?: number; calibrations?: Record<string, number[]>; overrides?: Record<string, Partial<Row>> } = {},
): ComparedDataset {
  const { build = 'a', machine = 'fa710d88794e', gflops = 120, calibrations = {}, overrides = {} } = options;
  const rows = Object.entries(samples).map(([cell, values]): Row => {
    const [framework, mode] = cell.split('/');
    const sorted = [...values].sort((x, y) => x - y);
    return {
      benchmark: 'cnn-cifar10', framework, target: 'cpu', mode, profile: 'cpu', status: 'ok',
      entry_key: `${cell}-key`, finished_at: `2026-12-02T1${build === 'a' ? 5 : 6}:00:00.000Z`, noisy: [], reason: null,
      inputs: { params: { epochs: 1 } },
      result: {
        metric: { samples: values as [number, ...number[]], median: sorted[1], unit: 's' },
        accuracies: [0.5, 0.52, 0.51],
        machine: { id: machine },
        calibration: { readings: (calibrations[cell] ?? [gflops, gflops * 1.01, gflops * 0.99, gflops]).map((cpu_gflops) => ({ cpu_gflops, gpu_gflops: null })) },
      },
      ...overrides[cell],
    };
  });
  return { benchmark: 'cnn-cifar10', rows, equivalence: [] };
}

const slowed = (samples: Samples, cell: string, factor: number): Samples => ({ ...samples, [cell]: samples[cell].map((s) => s * factor) });

describe('results diff', () => {
  test('A/A: the same cells measured by two separate builds on one machine give no regression and no improvement', () => {
    const diff = diffResults([dataset(A, { calibrations: calibrationsOf(REAL.build_a) })], [dataset(B, { build: 'b', calibrations: calibrationsOf(REAL.build_b) })]);
    expect(diff.counts.regressed).toBe(0);
    expect(diff.counts.improved).toBe(0);
    expect(diff.counts['within noise'] + diff.counts['not comparable']).toBe(Object.keys(A).length);
  });

  test('an injected 1.3x slowdown of one cell is reported for that cell and no other', () => {
    for (const cell of Object.keys(A)) {
      const diff = diffResults(
        [dataset(A, { calibrations: calibrationsOf(REAL.build_a) })],
        [dataset(slowed(B, cell, 1.3), { build: 'b', calibrations: calibrationsOf(REAL.build_b) })],
      );
      const regressed = diff.cells.filter((c) => c.verdict === 'regressed').map((c) => c.id);
      const comparable = diff.cells.find((c) => c.id === `cnn-cifar10/${cell.replace('/', '/cpu/')}/cpu`)!;
      // A cell whose calibration moved is never called a regression; every other one must be found.
      expect(regressed).toEqual(comparable.verdict === 'not comparable' ? [] : [comparable.id]);
      expect(diff.counts.improved).toBe(0);
    }
  }, 60_000); // a bootstrap per cell and diff: seconds on a busy 2-core machine

  test('results from different machines are not comparable, never a regression', () => {
    const cell = Object.keys(A)[0];
    const diff = diffResults([dataset(A)], [dataset(slowed(A, cell, 1.5), { build: 'b', machine: 'another' })]);
    expect(diff.counts.regressed).toBe(0);
    expect(diff.cells.every((c) => c.verdict === 'not comparable')).toBe(true);
    expect(diff.cells[0].notes.join()).toMatch(/different machines/);
  });

  test('a calibration that moved during the cell, or between the builds, makes it not comparable', () => {
    const [first, second] = Object.keys(A);
    const moved = { [second]: [120, 70, 118, 72] };
    const diff = diffResults([dataset(A)], [dataset(slowed(A, second, 1.5), { build: 'b', calibrations: moved })]);
    const changed = diff.cells.find((c) => c.verdict !== 'within noise')!;
    expect(changed.id).toBe(`cnn-cifar10/${second.replace('/', '/cpu/')}/cpu`);
    expect(changed.verdict).toBe('not comparable');
    expect(changed.notes.join()).toMatch(/after: the CPU calibration moved/);
    const slower = diffResults([dataset(A, { gflops: 120 })], [dataset(slowed(A, first, 1.5), { build: 'b', gflops: 90 })]);
    expect(slower.counts.regressed).toBe(0);
    expect(slower.cells[0].notes.join()).toMatch(/calibration differs by -25%/);
  });

  test('ok -> failed, an accuracy beyond its band and a check that stops passing come first, and fail the diff', () => {
    const [first, second] = Object.keys(A);
    const base = dataset(A);
    base.equivalence = [{ framework: 'jax', status: 'ok', outcome: { passed: true } }];
    const head = dataset(A, {
      build: 'b',
      overrides: {
        [first]: { status: 'failed', result: null, reason: 'the runner exited with code 1: MemoryError' },
        [second]: { result: { ...base.rows[1].result!, accuracies: [0.3, 0.31, 0.29] } },
      },
    });
    head.equivalence = [{ framework: 'jax', status: 'ok', outcome: { passed: false } }];
    const diff = diffResults([base], [head]);
    expect(diff.cells.filter((c) => c.attention)).toHaveLength(2);
    expect(diff.checks).toEqual([{ benchmark: 'cnn-cifar10', framework: 'jax', before: 'pass', after: 'fail', attention: true }]);
    const markdown = toMarkdown(diff, { base: 'a', head: 'b' });
    const attention = markdown.slice(markdown.indexOf('Needs attention first'), markdown.indexOf('#### cnn-cifar10'));
    expect(attention).toMatch(/ok -> failed: the runner exited with code 1: MemoryError/);
    expect(attention).toMatch(/accuracy moved from 0\.510 to 0\.300 \(mean over seeds\), beyond its 0\.024 band \(3 standard errors over 3 and 3 seeds\)/);
    expect(attention).toMatch(/Rosetta check `cnn-cifar10\/jax` no longer passes/);
  });

  test('an accuracy is judged against its own seed-to-seed spread: dropout noise is no change, one seed gets the fixed band', () => {
    const [first, second] = Object.keys(A);
    const accuracies = (cell: string, values: number[]) => ({ [cell]: { result: { ...dataset(A).rows.find((r) => `${r.framework}/${r.mode}` === cell)!.result!, accuracies: values } } });
    // The cpu profile's CNN: five dropout seeds move a correct network by 30 points (PyTorch fp32 measured 0.682-1.000).
    const base = dataset(A, { overrides: { ...accuracies(first, [0.67, 1.0, 0.8, 0.7, 0.75]), ...accuracies(second, [0.5]) } });
    const head = dataset(A, { build: 'b', overrides: { ...accuracies(first, [0.9, 0.95, 0.85, 0.99, 0.8]), ...accuracies(second, [0.44]) } });
    const diff = diffResults([base], [head]);
    const change = (cell: string) => diff.cells.find((c) => c.id === `cnn-cifar10/${cell.replace('/', '/cpu/')}/cpu`)!;
    const noisy = change(first);
    expect(noisy.attention).toBe(false); // 0.784 -> 0.898: inside 3 standard errors of the difference (about 0.19)
    expect(noisy.notes.join()).not.toMatch(/accuracy moved/);
    const single = change(second);
    expect(single.attention).toBe(true);
    expect(single.notes.join()).toMatch(/from 0\.500 to 0\.440 \(mean over seeds\), beyond its 0\.050 band \(fixed: a single seed has no spread\)/);
  });

  test('npm run diff compares a revision with the working tree; --fail-on-regression exits 1 on a regression', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rosetta-diff-'));
    try {
      const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root });
      const write = (samples: Samples, build: string) => writeFile(join(root, 'content/results/cnn-cifar10.json'), JSON.stringify(dataset(samples, { build })));
      await git('init', '-q', '-b', 'main');
      await mkdir(join(root, 'content/results'), { recursive: true });
      await write(A, 'a');
      await git('add', '.');
      await git('commit', '-qm', 'base');
      const cell = Object.keys(A)[2];
      await write(slowed(A, cell, 1.3), 'b');
      const diff = (...args: string[]) => execa(process.execPath, [join(ROOT, 'scripts/diff.ts'), '--root', root, ...args], { reject: false, all: true });
      const plain = await diff();
      expect(plain.exitCode, plain.all).toBe(0);
      expect(plain.stdout).toMatch(/\*\*1 regressed\*\*, 0 improved/);
      expect(plain.stdout).toMatch(/-> the working tree/);
      const failing = await diff('--fail-on-regression', '--format', 'json');
      expect(failing.exitCode).toBe(1);
      expect(JSON.parse(failing.stdout).counts.regressed).toBe(1);
      // A large diff written to a pipe arrives whole (hundreds of KB).
      const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => Object.entries(A).map(([cell, s]) => [`f${i}${cell}`, s])).flat());
      await writeFile(join(root, 'content/results/cnn-cifar10.json'), JSON.stringify(dataset(many, { build: 'b' })));
      const large = await diff('--format', 'json');
      expect(large.stdout.length).toBeGreaterThan(200_000);
      expect(JSON.parse(large.stdout).cells).toHaveLength(Object.keys(A).length * 41);
      const bad = await diff('--base', 'no-such-revision');
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/cannot read the datasets at no-such-revision/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
