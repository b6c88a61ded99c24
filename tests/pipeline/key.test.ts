import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { canonicalJson, cellKey, diffInputs, SEED, steeringVariables } from '../../src/pipeline/key.ts';
import { jobArgs } from '../../src/pipeline/job-process.ts';
import { cellsOf, plan } from '../../src/pipeline/plan.ts';
import { copyProject } from './project.ts';
import type { Project } from './project.ts';

let project: Project;
beforeEach(async () => {
  project = await copyProject();
});
afterEach(() => project.remove());

/** cell id -> key, for every cell that has a key. */
async function keys(): Promise<Map<string, string>> {
  const cells = cellsOf(await plan(project.root, await loadContent(project.root), { cells: [], checks: [] }));
  return new Map(cells.filter((c) => c.key).map((c) => [c.id, c.key!]));
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before.keys()].filter((id) => before.get(id) !== after.get(id)).sort();
}

async function editJson(path: string, edit: (value: any) => void): Promise<void> {
  const file = join(project.root, path);
  const value = JSON.parse(await readFile(file, 'utf8'));
  edit(value);
  await writeFile(file, JSON.stringify(value, null, 2));
}

describe('cell key', () => {
  test('is a pure function of the inputs: the same project gives the same keys', async () => {
    expect(await keys()).toEqual(await keys());
  });

  test('does not depend on the order of object keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: 2 } })).toBe('{"a":{"c":2,"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  test('changes with the spec version and the protocol version', async () => {
    const cells = cellsOf(await plan(project.root, await loadContent(project.root), { cells: [], checks: [] }));
    const inputs = cells.find((c) => c.inputs)!.inputs!;
    expect(cellKey({ ...inputs, spec_version: inputs.spec_version + 1 })).not.toBe(cellKey(inputs));
    expect(cellKey({ ...inputs, protocol: inputs.protocol + 1 })).not.toBe(cellKey(inputs));
  });

  test('differs between modes, profiles and targets of the same benchmark and framework', async () => {
    const all = await keys();
    expect(new Set(all.values()).size).toBe(all.size);
  });

  test("editing a benchmark's parameters for a profile changes exactly that benchmark's cells at that profile", async () => {
    const before = await keys();
    await editJson('content/benchmarks/gru-imdb.json', (b) => (b.profiles.cpu.epochs = 2));
    const ids = changed(before, await keys());
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith('gru-imdb/') && id.endsWith('/cpu'))).toBe(true);
  });

  test("editing a target's hardware descriptor changes exactly that target's cells", async () => {
    const before = await keys();
    await editJson('content/targets/h100.json', (t) => (t.hardware.peak_flops.bf16 = 1e15));
    const ids = changed(before, await keys());
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.split('/')[2] === 'h100')).toBe(true);
  });

  test("editing a framework's environment spec changes exactly that framework's cells", async () => {
    const before = await keys();
    await appendFile(join(project.root, 'runners/pytorch/requirements.txt'), '\n# a comment is still a change\n');
    const ids = changed(before, await keys());
    expect(ids).toEqual([...before.keys()].filter((id) => id.split('/')[1] === 'pytorch').sort());
  });

  test("editing one runner changes exactly its cells' keys", async () => {
    const before = await keys();
    await appendFile(join(project.root, 'runners/pytorch/gru_imdb.py'), '\n');
    const ids = changed(before, await keys());
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual([...before.keys()].filter((id) => id.startsWith('gru-imdb/pytorch/')).sort());
  });

  test('editing the shared Python module changes every key', async () => {
    const before = await keys();
    await appendFile(join(project.root, 'runners/lib/rosetta/__init__.py'), '\n');
    expect(changed(before, await keys())).toEqual([...before.keys()].sort());
  });

  test('editing the README, the site or an unrelated file changes no key', async () => {
    const before = await keys();
    await appendFile(join(project.root, 'README.md'), '\nmore words\n');
    await appendFile(join(project.root, 'astro.config.mjs'), '\n// a comment\n');
    await writeFile(join(project.root, 'runners/NOTES.txt'), 'unrelated\n');
    expect(changed(before, await keys())).toEqual([]);
  });

  test('diffInputs names the inputs that differ', () => {
    const a = { files: { 'x.py': '1', 'y.py': '2' }, params: { epochs: 1 } };
    const b = { files: { 'x.py': '1', 'y.py': '3' }, params: { epochs: 1, lr: 0.1 } };
    expect(diffInputs(a, b)).toEqual(['files.y.py', 'params.lr']);
  });
});

describe('what a key covers besides files', () => {
  test('a real data file in data/ changes the keys of the cells that read it, and only those', async () => {
    const before = await keys();
    await mkdir(join(project.root, 'data'), { recursive: true });
    await writeFile(join(project.root, 'data', 'imdb.npz'), 'not the real IMDB, but its identity is what counts');
    const after = await keys();
    expect(changed(before, after).length).toBeGreaterThan(0);
    expect(changed(before, after).every((id) => id.startsWith('gru-imdb/'))).toBe(true);
  });

  test('the seed is an input of every key, the absolute path of the checkout of none', async () => {
    const cells = cellsOf(await plan(project.root, await loadContent(project.root), { cells: [], checks: [] }));
    const inputs = cells.find((c) => c.inputs)!.inputs!;
    expect(inputs.seed).toBe(SEED);
    expect(cellKey({ ...inputs, seed: SEED + 1 })).not.toBe(cellKey(inputs));
    expect(canonicalJson(inputs)).not.toContain(project.root);
    const elsewhere = await copyProject();
    try {
      const there = cellsOf(await plan(elsewhere.root, await loadContent(elsewhere.root), { cells: [], checks: [] }));
      expect(there.map((c) => c.key)).toEqual(cells.map((c) => c.key));
    } finally {
      await elsewhere.remove();
    }
  });

  test('a variable of the build\'s environment that steers the frameworks is an input; any other is not', async () => {
    expect(await steeringVariables(project.root, { OMP_NUM_THREADS: '1', HOME: '/root', TF_CLI_CONFIG_FILE: 'x' })).toEqual({ OMP_NUM_THREADS: '1' });
    const before = await keys();
    process.env.OMP_NUM_THREADS = '1';
    try {
      const after = await keys();
      expect(changed(before, after)).toEqual([...before.keys()].sort());
    } finally {
      delete process.env.OMP_NUM_THREADS;
    }
  });
});

describe('a framework whose runners are in another language (a host runs them)', () => {
  /** A TypeScript framework "hosted": its runner, its host program and the worker the host names. */
  async function addHosted(): Promise<void> {
    const dir = join(project.root, 'runners', 'hosted');
    await mkdir(dir, { recursive: true });
    for (const file of ['resnet50_features.ts', 'host.py', 'worker.ts', 'package.json']) await writeFile(join(dir, file), `// ${file}\n`);
    await writeFile(join(project.root, 'runners', 'hosted', 'requirements.txt'), 'numpy==2.4.6\n');
    await writeFile(join(project.root, 'content', 'frameworks', 'hosted.json'), JSON.stringify({
      id: 'hosted', name: 'Hosted', runner_dir: 'runners/hosted',
      environment: { requirements: 'runners/hosted/requirements.txt', variables: {} },
      implements: ['resnet50-features'], unavailable_on: {}, notes: '',
      host: { language: 'typescript', program: 'runners/hosted/host.py', files: ['runners/hosted/worker.ts', 'runners/hosted/package.json'] },
    }));
  }

  test('its runners have the language\'s extension, and its host and the host\'s files are inputs of its keys only', async () => {
    await addHosted();
    const jobs = await plan(project.root, await loadContent(project.root), { cells: [], checks: [] });
    const cell = cellsOf(jobs).find((c) => c.cell.framework === 'hosted' && c.key)!;
    expect(cell.runner).toBe('runners/hosted/resnet50_features.ts');
    expect(Object.keys(cell.inputs!.files)).toEqual(expect.arrayContaining(['runners/hosted/resnet50_features.ts', 'runners/hosted/host.py', 'runners/hosted/worker.ts', 'runners/hosted/package.json']));
    const before = await keys();
    await appendFile(join(project.root, 'runners', 'hosted', 'worker.ts'), '// changed\n');
    const ids = changed(before, await keys());
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.includes('/hosted/'))).toBe(true);
  });

  test('the build starts its cells and checks through the host, with the runner as its argument', async () => {
    await addHosted();
    const jobs = await plan(project.root, await loadContent(project.root), { cells: [], checks: [] });
    const cell = jobs.find((j) => j.kind === 'cell' && j.cell.framework === 'hosted' && j.key)!;
    const check = jobs.find((j) => j.kind === 'check' && j.cell.framework === 'hosted' && j.key)!;
    expect(jobArgs(cell)).toEqual(['runners/hosted/host.py', 'runners/hosted/resnet50_features.ts', '--cell', '-']);
    expect(jobArgs(check)).toEqual(['runners/hosted/host.py', 'runners/hosted/resnet50_features.ts', '--check', '--cell', '-']);
    const python = jobs.find((j) => j.kind === 'check' && j.cell.framework === 'pytorch' && j.key)!;
    expect(jobArgs(python)).toEqual(['-m', 'equivalence', '--runner', python.runner, '--cell', '-']);
  });

  test('a host file that does not exist is a clear content error', async () => {
    await addHosted();
    await rm(join(project.root, 'runners', 'hosted', 'worker.ts'));
    await expect(loadContent(project.root)).rejects.toThrow(/hosted needs runners\/hosted\/worker.ts, which does not exist/);
  });
});
