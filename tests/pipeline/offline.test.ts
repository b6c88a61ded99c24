// Plan / execute / ingest, on the cpu target with smoke cells: the flow a GPU box uses.
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment } from '../../src/pipeline/environments.ts';
import { fileHasher } from '../../src/pipeline/key.ts';
import { copyProject, ROOT } from './project.ts';
import type { Project } from './project.ts';

let project: Project;
let python: string;
beforeAll(async () => {
  project = await copyProject();
  const pytorch = (await loadContent(ROOT)).frameworks.find((f) => f.id === 'pytorch')!;
  python = (await ensureEnvironment(ROOT, pytorch, fileHasher(ROOT), () => {})).python;
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
    const failed = { ...ok.entries[0], status: 'failed', result: null, error: { message: 'CUDA error', exit_code: 1, stderr_tail: ['CUDA error'] } };
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

  test('a file that is not a bundle is a clear error', async () => {
    await writeFile(join(project.root, 'nonsense.json'), '{"hello": 1}');
    const ingested = await node('scripts/ingest.ts', 'nonsense.json');
    expect(ingested.exitCode).toBe(1);
    expect(ingested.stderr).toMatch(/error: not a result bundle/);
  });
});

describe('the executor', () => {
  test('classifies crashes, hangs, garbage, double results and missing frameworks like the build does', async () => {
    const fakes = join(import.meta.dirname, 'fake_runners');
    const cell = (name: string, timeout_s = 30) => ({
      id: name, key: name, cell: { benchmark: 'b', framework: 'f', target: 't', mode: 'fast', profile: 'smoke' }, inputs: {},
      runner: join(fakes, `${name}.py`), timeout_s, spec: {}, variables: { PYTHONPATH: fakes },
    });
    const plan = { plan_version: 1, created_at: new Date().toISOString(), target: 't',
      cells: [cell('good'), cell('crash'), cell('hang', 1), cell('garbage'), cell('two_results'), cell('nothing'), cell('unavailable')] };
    const planFile = join(project.root, 'fake-plan.json');
    const bundleFile = join(project.root, 'fake-bundle.json');
    await writeFile(planFile, JSON.stringify(plan));
    const executed = await execa('python3', [join(ROOT, 'scripts/execute-plan.py'), planFile, '--bundle', bundleFile], {
      all: true, reject: false, env: { PYTHONPATH: fakes },
    });
    expect(executed.exitCode, executed.all).toBe(0);
    const entries = JSON.parse(await readFile(bundleFile, 'utf8')).entries;
    expect(entries.map((e: { status: string }) => e.status)).toEqual(['ok', 'failed', 'timeout', 'invalid-output', 'invalid-output', 'invalid-output', 'unavailable']);
    expect(entries[1].error.stderr_tail.at(-1)).toBe('RuntimeError: out of memory');
  }, 120_000);
});
