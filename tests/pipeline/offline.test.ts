// Plan / execute / ingest, on the cpu target with smoke cells: the flow a GPU box uses.
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment } from '../../src/pipeline/environments.ts';
import { classify } from '../../src/pipeline/outcome.ts';
import { BundleEntrySchema } from '../../src/pipeline/schemas.ts';
import type { RawOutcome } from '../../src/pipeline/schemas.ts';
import { EXPECTED } from './fixtures.ts';
import { copyProject, ROOT } from './project.ts';
import type { Project } from './project.ts';

let project: Project;
let python: string;
beforeAll(async () => {
  project = await copyProject();
  const pytorch = (await loadContent(ROOT)).frameworks.find((f) => f.id === 'pytorch')!;
  python = (await ensureEnvironment(ROOT, pytorch, () => {})).python;
}, 900_000);
afterAll(() => project.remove());

const node = (script: string, ...args: string[]) =>
  execa(process.execPath, [script, ...args], { cwd: project.root, all: true, reject: false });
const executor = (plan: string, bundle: string, root = project.root) =>
  execa('python3', [join(root, 'scripts/execute-plan.py'), plan, '--bundle', bundle, '--python', python], { all: true, reject: false });

async function cacheEntries(): Promise<string[]> {
  const files = await readdir(join(project.root, 'cache'), { recursive: true }).catch(() => []);
  return files.filter((f) => f.endsWith('.json')).sort();
}

describe('plan, execute, ingest', () => {
  let bundle: string;

  test('a round trip stores the executed cells and the next plan is empty', async () => {
    const planned = await node('scripts/plan.ts', '--target', 'cpu', '--profile', 'smoke', '--framework', 'pytorch', '--benchmark', 'cnn-cifar10', '--mode', 'fp32');
    expect(planned.exitCode, planned.all).toBe(0);
    const planFile = planned.stdout.split(':')[0];
    expect(JSON.parse(await readFile(planFile, 'utf8')).cells).toHaveLength(1);

    bundle = join(project.root, 'bundle.json');
    const executed = await executor(planFile, bundle);
    expect(executed.exitCode, executed.all).toBe(0);
    expect(executed.all).toMatch(/1 cells in/);

    const ingested = await node('scripts/ingest.ts', bundle);
    expect(ingested.exitCode, ingested.all).toBe(0);
    expect(ingested.stdout).toMatch(/stored  cnn-cifar10\/pytorch\/cpu\/fp32\/smoke: ok/);
    expect(await cacheEntries()).toHaveLength(1);

    const again = await node('scripts/plan.ts', '--target', 'cpu', '--profile', 'smoke', '--framework', 'pytorch', '--benchmark', 'cnn-cifar10', '--mode', 'fp32');
    expect(again.all).toMatch(/nothing to plan/);
  }, 900_000);

  test('a failed result next to an ok entry of the same inputs leaves the ok entry', async () => {
    const ok = JSON.parse(await readFile(bundle, 'utf8'));
    const [file] = await cacheEntries();
    const before = await readFile(join(project.root, 'cache', file), 'utf8');
    const failed = { ...ok.entries[0], raw: { ...ok.entries[0].raw, exit_code: 1, stdout: [], stderr_tail: ['CUDA error'] } };
    await writeFile(join(project.root, 'failed.json'), JSON.stringify({ ...ok, entries: [failed] }));
    const ingested = await node('scripts/ingest.ts', 'failed.json');
    expect(ingested.exitCode, ingested.all).toBe(0);
    expect(ingested.stdout).toMatch(/kept .*an ok result of the same inputs is already stored/);
    expect(await readFile(join(project.root, 'cache', file), 'utf8')).toBe(before);
  });

  test('a bundle whose inputs changed since its plan is refused, naming the input', async () => {
    const entriesBefore = await cacheEntries();
    await appendFile(join(project.root, 'runners/pytorch/cnn_cifar10.py'), '\n# edited after the plan\n');
    const ingested = await node('scripts/ingest.ts', bundle);
    expect(ingested.exitCode).toBe(1);
    expect(ingested.stderr).toMatch(/refused cnn-cifar10\/pytorch\/cpu\/fp32\/smoke: stale: .*files\.runners\/pytorch\/cnn_cifar10\.py/);
    expect(await cacheEntries()).toEqual(entriesBefore);
  });

  test('an entry whose key is not the hash of its inputs is refused', async () => {
    const ok = JSON.parse(await readFile(bundle, 'utf8'));
    ok.entries[0].inputs.params.epochs = 99;
    await writeFile(join(project.root, 'forged.json'), JSON.stringify(ok));
    const ingested = await node('scripts/ingest.ts', 'forged.json');
    expect(ingested.exitCode).toBe(1);
    expect(ingested.stderr).toMatch(/not the hash of its recorded inputs/);
  });

  test('--max-cells splits the plan into parts of at most N cells; a bad value is a clear error', async () => {
    const split = await node('scripts/plan.ts', '--target', 'h100', '--framework', 'pytorch', '--max-cells', '4', '--out', 'split-plans');
    expect(split.exitCode, split.all).toBe(0);
    const files = (await readdir(join(project.root, 'split-plans'))).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^h100-.*-part1\.json$/);
    const sizes = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(project.root, 'split-plans', file), 'utf8')).cells.length));
    expect(sizes).toEqual([4, 2]);
    const bad = await node('scripts/plan.ts', '--target', 'h100', '--max-cells', '0');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/--max-cells must be a positive integer/);
  });

  test('a file that is not a bundle is a clear error', async () => {
    await writeFile(join(project.root, 'nonsense.json'), '{"hello": 1}');
    const ingested = await node('scripts/ingest.ts', 'nonsense.json');
    expect(ingested.exitCode).toBe(1);
    expect(ingested.stderr).toMatch(/error: nonsense.json: not a result bundle/);
  });
});

describe('the executor', () => {
  test("brings back raw outcomes that the build's classifier reads as it reads its own runs", async () => {
    const fakes = join(import.meta.dirname, 'fake_runners');
    const cellId = { benchmark: 'b', framework: 'f', target: 't', mode: 'fast' as const, profile: 'smoke' as const };
    const cell = (name: string, timeout_s = 30) => ({
      id: name, key: name, cell: cellId, inputs: {}, args: [join(fakes, `${name}.py`), '--cell', '-'], timeout_s, spec: {}, variables: { PYTHONPATH: fakes }, pins: {},
    });
    const plan = { plan_version: 3, created_at: new Date().toISOString(), target: 't',
      cells: [cell('good'), cell('crash'), cell('hang', 1), cell('garbage'), cell('two_results'), cell('nothing'), cell('unavailable')] };
    const planFile = join(project.root, 'fake-plan.json');
    const bundleFile = join(project.root, 'fake-bundle.json');
    await writeFile(planFile, JSON.stringify(plan));
    const executed = await execa('python3', [join(ROOT, 'scripts/execute-plan.py'), planFile, '--bundle', bundleFile], {
      all: true, reject: false, env: { PYTHONPATH: fakes },
    });
    expect(executed.exitCode, executed.all).toBe(0);
    const entries = JSON.parse(await readFile(bundleFile, 'utf8')).entries.map((entry: unknown) => BundleEntrySchema.extend({ inputs: z.unknown() }).parse(entry));
    const outcomes = entries.map((entry: { id: string; raw: RawOutcome }) => classify({ kind: 'cell', cell: cellId, timeoutS: entry.id === 'hang' ? 1 : 30, expected: EXPECTED }, entry.raw));
    expect(outcomes.map((o: { status: string }) => o.status)).toEqual(['ok', 'failed', 'timeout', 'invalid-output', 'invalid-output', 'invalid-output', 'unavailable']);
    expect(outcomes[1].error.stderr_tail.at(-1)).toBe('RuntimeError: out of memory');
    expect(entries[2].raw).toMatchObject({ timed_out: true, exit_code: null, signal: 'SIGTERM' });
  }, 120_000);
});
