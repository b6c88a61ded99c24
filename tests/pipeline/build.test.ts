// End to end on a temporary copy of the project: `npm run build` runs the missing smoke cells and
// the Rosetta checks, and renders the report; a second build finds everything cached and runs nothing.
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DatasetSchema } from '../../src/pipeline/schemas.ts';
import { copyProject } from './project.ts';
import type { Project } from './project.ts';

// Writes a CIFAR-10 archive of two images per batch in the canonical format to argv[1].
const TINY_CIFAR = `
import io, os, pickle, sys, tarfile
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
with tarfile.open(sys.argv[1], "w:gz") as tar:
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = pickle.dumps({b"data": bytes(2 * 3072), b"labels": [0, 1]})
        info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
`;

let project: Project;
beforeAll(async () => {
  project = await copyProject();
});
afterAll(() => project.remove());

const build = (...args: string[]) =>
  execa(process.execPath, ['scripts/build.ts', '--profile', 'smoke', '--target', 'cpu', '--framework', 'pytorch', '--mode', 'fp32', ...args], {
    cwd: project.root,
    all: true,
    reject: false,
    env: { ASTRO_TELEMETRY_DISABLED: '1' },
  });

async function cacheFiles(): Promise<Map<string, number>> {
  const dir = join(project.root, 'cache');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json'));
  return new Map(await Promise.all(files.map(async (f) => [f, (await stat(join(dir, f))).mtimeMs] as const)));
}

describe('npm run build, end to end', () => {
  test('a first build runs the missing smoke cells and checks, writes datasets and renders the report; a second runs nothing', async () => {
    const first = await build();
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toMatch(/3 to run here/);
    expect(first.all).toMatch(/--profile smoke: its results are kept in cache\/; the report shows each target at its own profile/);
    expect(first.all).toMatch(/checks: 3 Rosetta checks, 0 cached, 3 to run here/);
    const files = await cacheFiles();
    expect([...files.keys()].filter((f) => !f.startsWith('equivalence'))).toHaveLength(3);
    expect([...files.keys()].filter((f) => f.startsWith('equivalence'))).toHaveLength(3);

    for (const benchmark of ['cnn-cifar10', 'resnet50-features', 'gru-imdb']) {
      const dataset = DatasetSchema.parse(JSON.parse(await readFile(join(project.root, 'content/results', `${benchmark}.json`), 'utf8')));
      // A trial at the smoke profile never replaces what the report shows: the cpu target's own profile.
      const row = dataset.rows.find((r) => r.framework === 'pytorch' && r.target === 'cpu' && r.mode === 'fp32')!;
      expect(row).toMatchObject({ profile: 'cpu', status: 'not-measured', entry_key: null });
      expect(dataset.rows.some((r) => r.profile === 'smoke')).toBe(false);
      // The GPU targets are declared but cannot run here: shown, never guessed.
      const h100 = dataset.rows.find((r) => r.framework === 'pytorch' && r.target === 'h100' && r.mode === 'fp32')!;
      expect(h100.status).toBe('not-measured');
      expect(h100.reason).toMatch(/needs the NVIDIA H100/);
      // The PyTorch network of each benchmark, from the canonical weights, matches the NumPy reference.
      const check = dataset.equivalence.find((r) => r.framework === 'pytorch')!;
      expect(check.status, check.reason ?? '').toBe('ok');
      expect(check.entry_key).toBe(check.key);
      expect(check.outcome).toMatchObject({ passed: true, expected_param_count: check.outcome?.param_count });
      expect(check.outcome!.relative_diff).toBeLessThanOrEqual(1e-4);
    }
    expect((await stat(join(project.root, 'dist/index.html'))).isFile()).toBe(true);

    const datasetsBefore = await readFile(join(project.root, 'content/results/gru-imdb.json'), 'utf8');
    const second = await build();
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toMatch(/3 cached, 0 to run here/);
    expect(second.all).toMatch(/checks: 3 Rosetta checks, 3 cached, 0 to run here/);
    expect(second.all).toMatch(/datasets unchanged/);
    expect(await cacheFiles()).toEqual(files);
    expect(await readFile(join(project.root, 'content/results/gru-imdb.json'), 'utf8')).toBe(datasetsBefore);
  }, 900_000);

  test('an interrupted build keeps the cells it completed and leaves no half-written file', async () => {
    const other = await copyProject();
    try {
      const child = execa(process.execPath, ['scripts/build.ts', '--profile', 'smoke', '--target', 'cpu', '--framework', 'pytorch', '--mode', 'fp32', '--no-render'], {
        cwd: other.root,
        all: true,
        reject: false,
        forceKillAfterDelay: false,
      });
      for await (const line of child.iterable({ from: 'all' })) {
        if (/^\[1\/6\] .*: ok/.test(line)) child.kill('SIGINT');
      }
      const done = await child;
      expect(done.exitCode, done.all).toBe(130);
      expect(done.all).toMatch(/SIGINT: stopping the running job/);
      const files = await readdir(join(other.root, 'cache'), { recursive: true });
      expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await other.remove();
    }
  }, 900_000);

  test('with CIFAR-10 present in its real format, --plan shows the CNN cells as missing because their data changed', async () => {
    // A tiny archive in the canonical format (pickled batches in a tar.gz): its identity is what counts.
    const fixture = join(project.root, 'data', 'cifar-10-python.tar.gz');
    await execa('python3', ['-c', TINY_CIFAR, fixture]);
    try {
      const planned = await build('--plan');
      expect(planned.exitCode, planned.all).toBe(0);
      expect(planned.all).toMatch(/missing +cnn-cifar10\/pytorch\/cpu\/fp32\/smoke +inputs changed: data\.cifar-10-python\.tar\.gz$/m);
      expect(planned.all).toMatch(/cached +resnet50-features\/pytorch\/cpu\/fp32\/smoke/);
      expect(planned.all).toMatch(/cached +gru-imdb\/pytorch\/cpu\/fp32\/smoke/);
    } finally {
      await rm(join(project.root, 'data'), { recursive: true, force: true });
    }
  });

  test('--remeasure runs a cached cell again: the new result is current, the one it replaces is kept as history', async () => {
    const name = (await readdir(join(project.root, 'cache/resnet50-features/pytorch')))[0];
    const before = JSON.parse(await readFile(join(project.root, 'cache/resnet50-features/pytorch', name), 'utf8'));
    const again = await build('--benchmark', 'resnet50-features', '--remeasure', '--no-render');
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toMatch(/1 cached, 1 to run here \(--remeasure/);
    const after = JSON.parse(await readFile(join(project.root, 'cache/resnet50-features/pytorch', name), 'utf8'));
    expect(after.key).toBe(before.key);
    expect(after.finished_at > before.finished_at).toBe(true);
    const history = await readdir(join(project.root, 'cache/history/resnet50-features/pytorch'));
    expect(history).toEqual([name.replace(/\.json$/, `.${before.finished_at.replace(/[^0-9]/g, '').slice(0, 17)}.json`)]);
    expect(JSON.parse(await readFile(join(project.root, 'cache/history/resnet50-features/pytorch', history[0]), 'utf8'))).toEqual(before);
  }, 900_000);

  test('npm run prune lists superseded results beyond the newest N of each cell, and removes them only with --apply', async () => {
    const prune = (...args: string[]) => execa(process.execPath, ['scripts/prune.ts', ...args], { cwd: project.root, all: true, reject: false });
    const kept = await prune();
    expect(kept.exitCode, kept.all).toBe(0);
    expect(kept.stdout).toMatch(/^0 superseded result\(s\) beyond the 3 newest/m);
    const listed = await prune('--keep', '0');
    expect(listed.stdout).toMatch(/would remove cache\/history\/resnet50-features\/pytorch\/cpu\.fp32\.smoke\.[0-9a-f]{64}\.\d{17}\.json/);
    expect(await readdir(join(project.root, 'cache/history/resnet50-features/pytorch'))).toHaveLength(1);
    const applied = await prune('--keep', '0', '--apply');
    expect(applied.exitCode, applied.all).toBe(0);
    expect(await readdir(join(project.root, 'cache/history/resnet50-features/pytorch'))).toEqual([]);
    expect(await readdir(join(project.root, 'cache/resnet50-features/pytorch'))).toHaveLength(1); // the current result stays
    expect((await prune('--keep', 'x')).stderr).toMatch(/--keep must be a whole number/);
  }, 60_000); // four Node processes: over 5 s on a busy 2-core machine

  test('a second build on the same tree refuses while one runs, naming it', async () => {
    const lock = join(project.root, '.rosetta.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), command: 'npm run build', started_at: '2026-12-01T10:00:00.000Z' }));
    try {
      const second = await build('--render-only');
      expect(second.exitCode).toBe(1);
      expect(second.all).toMatch(new RegExp(`another npm run build is running on this tree \\(pid ${process.pid}, since 2026-12-01T10:00:00.000Z\\)`));
    } finally {
      await rm(lock, { force: true });
    }
  });

  test('--plan lists every cell with its status and runs nothing', async () => {
    const planned = await build('--plan');
    expect(planned.exitCode, planned.all).toBe(0);
    expect(planned.all).toMatch(/cnn-cifar10\/pytorch\/cpu\/fp32\/smoke/);
    expect(planned.all).not.toMatch(/to run here/);
  });

  test('an unknown framework is a clear error, not a crash', async () => {
    const bad = await build('--framework', 'caffe3');
    expect(bad.exitCode).toBe(1);
    expect(bad.all).toMatch(/unknown framework caffe3; declared: .*pytorch/);
  });

  test('--strict stops at the first job that fails and exits 1; without it the build runs every job and exits 0', async () => {
    const path = join(project.root, 'runners/pytorch/gru_imdb.py');
    const source = await readFile(path, 'utf8');
    const [first, ...rest] = source.split('\n');
    await writeFile(path, [first, 'raise SystemExit("broken on purpose")', ...rest].join('\n'));
    try {
      const strict = await build('--benchmark', 'gru-imdb', '--strict', '--no-render');
      expect(strict.exitCode, strict.all).toBe(1);
      expect(strict.all).toMatch(/\[1\/2\] gru-imdb\/pytorch\/cpu\/fp32\/smoke: failed: the runner exited with code 1: broken on purpose/);
      expect(strict.all).not.toMatch(/\[2\/2\]/);
      const lenient = await build('--benchmark', 'gru-imdb', '--no-render');
      expect(lenient.exitCode, lenient.all).toBe(0);
      expect(lenient.all).toMatch(/\[2\/2\] check gru-imdb\/pytorch: failed: the check exited with code 1/);
      expect(lenient.all).toMatch(/1 cell\(s\) did not succeed/);
      expect(lenient.all).toMatch(/1 Rosetta check\(s\) did not pass/);
    } finally {
      await writeFile(path, source);
    }
  }, 900_000);
});
