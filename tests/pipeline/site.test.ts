// The render step of `npm run build` is skipped when dist/ was built from the same inputs: the
// site's fingerprint covers what `astro build` reads and nothing else, and dist/ is marked current
// only after Astro succeeded. Small temporary trees; the Astro build is a stand-in.
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MARKER, readMarker, renderSite, SITE_ENV, siteCurrency, siteFingerprint, writeMarker } from '../../src/pipeline/site.ts';
import type { Fingerprint } from '../../src/pipeline/site.ts';

const ROOT = resolve(import.meta.dirname, '../..');

const FILES: Record<string, string> = {
  'content/results/cnn-cifar10.json': '{"rows": []}\n',
  'content/article/abstract.mdx': '---\ntitle: Abstract\n---\nSame networks, every framework.\n',
  'content/article/notes/speed.mdx': '---\ntitle: Speed\nbenchmark: cnn-cifar10\n---\n',
  'content/benchmarks/cnn-cifar10.json': '{"id": "cnn-cifar10"}\n',
  'content/targets/cpu.json': '{"id": "cpu"}\n',
  'content/frameworks/pytorch.json': '{"id": "pytorch", "runner_dir": "runners/pytorch"}\n',
  'content/frameworks/vendored.json': '{"id": "vendored", "runner_dir": "vendor/runner/"}\n',
  'runners/pytorch/cnn_cifar10.py': 'import torch\n',
  'runners/pytorch/__pycache__/cnn_cifar10.cpython-312.pyc': 'bytecode',
  'runners/lib/rosetta/util.pyc': 'bytecode',
  'vendor/runner/cnn_cifar10.py': 'import vendored\n',
  'src/pages/index.astro': '---\n---\n<h1>Report</h1>\n',
  'src/report/format.ts': 'export const x = 1;\n',
  'astro.config.mjs': 'export default {};\n',
  'tsconfig.json': '{}\n',
  'package.json': '{"name": "fixture"}\n',
  'package-lock.json': '{"packages": {"node_modules/astro": {"version": "7.3.5"}}}\n',
  'README.md': '# Fixture\n',
  'tests/site.test.ts': 'test\n',
  'cache/cnn-cifar10/pytorch/cpu.json': '{}\n',
  'scripts/plan.ts': '// plan\n',
};

let root: string;
const write = async (path: string, text: string) => {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
};
const fingerprint = (env: Record<string, string | undefined> = {}) => siteFingerprint(root, { env, cwd: root });
/** The parts of the fingerprint that differ between two fingerprints. */
const changed = (a: Fingerprint, b: Fingerprint) => Object.keys(a.parts).filter((part) => a.parts[part] !== b.parts[part]);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rosetta-site-'));
  for (const [path, text] of Object.entries(FILES)) await write(path, text);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('the site fingerprint', () => {
  test('is a sha256, the same for the same inputs, whatever the modification times', async () => {
    const before = await fingerprint();
    expect(before.hash).toMatch(/^[0-9a-f]{64}$/);
    const later = new Date('2030-01-01T00:00:00Z');
    for (const path of ['content/results/cnn-cifar10.json', 'src/pages/index.astro', 'runners/pytorch/cnn_cifar10.py']) await utimes(join(root, path), later, later);
    expect(await fingerprint()).toEqual(before);
  });

  test.each([
    ['a dataset', 'content/results/cnn-cifar10.json', '{"rows": [1]}\n', 'datasets'],
    ['a new dataset', 'content/results/gru-imdb.json', '{"rows": []}\n', 'datasets'],
    ['an article section', 'content/article/abstract.mdx', '---\ntitle: Abstract\n---\nEdited.\n', 'content'],
    ['an analysis note', 'content/article/notes/speed.mdx', '---\ntitle: Faster\nbenchmark: cnn-cifar10\n---\n', 'content'],
    ['a benchmark record', 'content/benchmarks/cnn-cifar10.json', '{"id": "cnn-cifar10", "order": 2}\n', 'content'],
    ['a framework record', 'content/frameworks/pytorch.json', '{"id": "pytorch", "runner_dir": "runners/pytorch", "name": "PyTorch"}\n', 'frameworks'],
    ['a runner source', 'runners/pytorch/cnn_cifar10.py', 'import torch  # edited\n', 'runners'],
    ['a new runner source', 'runners/pytorch/gru_imdb.py', 'import torch\n', 'runners'],
    ['a runner source outside runners/ (a runner_dir)', 'vendor/runner/cnn_cifar10.py', 'import vendored  # edited\n', 'runners'],
    ['a page', 'src/pages/index.astro', '---\n---\n<h1>The report</h1>\n', 'site'],
    ['a report module', 'src/report/format.ts', 'export const x = 2;\n', 'site'],
    ['a new component', 'src/components/Note.astro', '<p>note</p>\n', 'site'],
    ['a public asset', 'public/favicon.svg', '<svg/>\n', 'site'],
    ['the Astro config', 'astro.config.mjs', 'export default { base: "/x/" };\n', 'site'],
    ['tsconfig.json', 'tsconfig.json', '{"compilerOptions": {}}\n', 'site'],
    ['the lock file (Astro\'s version)', 'package-lock.json', '{"packages": {"node_modules/astro": {"version": "7.4.0"}}}\n', 'packages'],
    ['the installed packages', 'node_modules/.package-lock.json', '{"packages": {}}\n', 'packages'],
  ])('changes with %s', async (_what, path, text, part) => {
    const before = await fingerprint();
    await write(path, text);
    const after = await fingerprint();
    expect(after.hash).not.toBe(before.hash);
    expect(changed(before, after)).toEqual([part]);
  });

  test('changes when a file the site reads is removed', async () => {
    const before = await fingerprint();
    await rm(join(root, 'content/article/notes/speed.mdx'));
    expect(changed(before, await fingerprint())).toEqual(['content']);
  });

  test.each([
    ['the README', 'README.md', '# Edited\n'],
    ['a test', 'tests/site.test.ts', 'edited\n'],
    ['a new test', 'tests/other.test.ts', 'new\n'],
    ['a cache entry', 'cache/cnn-cifar10/pytorch/cpu.json', '{"edited": true}\n'],
    ['a script', 'scripts/plan.ts', '// edited\n'],
    ['compiled Python', 'runners/pytorch/__pycache__/cnn_cifar10.cpython-312.pyc', 'other bytecode'],
    ['a .pyc file', 'runners/lib/rosetta/util.pyc', 'other bytecode'],
    ['dist/ itself', 'dist/index.html', '<html></html>\n'],
    ['a file at the root nothing reads', 'notes.txt', 'todo\n'],
  ])('does not change with %s', async (_what, path, text) => {
    const before = await fingerprint();
    await write(path, text);
    expect(await fingerprint()).toEqual(before);
  });

  test.each([
    ['ROSETTA_REPOSITORY', 'https://github.com/org/rosetta-bench'],
    ['ROSETTA_SITE', 'https://example.org'],
    ['ROSETTA_STRICT', '1'],
  ])('changes with %s', async (name, value) => {
    const before = await fingerprint();
    const after = await fingerprint({ [name]: value });
    expect(changed(before, after)).toEqual(['environment']);
  });

  test('does not change with a variable the site does not read', async () => {
    const before = await fingerprint();
    expect(await fingerprint({ ROSETTA_PYTHON: '/usr/bin/python3', ROSETTA_VENVS: '/tmp/venvs', PATH: '/bin', HOSTNAME: 'elsewhere' })).toEqual(before);
  });

  test('follows ROSETTA_RESULTS_DIR and ROSETTA_FRAMEWORKS_DIR to the folders they name', async () => {
    await write('other/results/cnn-cifar10.json', '{"rows": ["other"]}\n');
    await write('other/frameworks/pytorch.json', '{"id": "pytorch", "runner_dir": "elsewhere/pytorch"}\n');
    await write('elsewhere/pytorch/cnn_cifar10.py', 'import torch\n');
    const env = { ROSETTA_RESULTS_DIR: 'other/results', ROSETTA_FRAMEWORKS_DIR: 'other/frameworks' };
    const before = await fingerprint(env);
    expect(before.parts.datasets).not.toBe((await fingerprint()).parts.datasets);
    await write('other/results/cnn-cifar10.json', '{"rows": ["edited"]}\n');
    const edited = await fingerprint(env);
    expect(changed(before, edited)).toEqual(['datasets']);
    // The runners of the framework records the site reads, wherever they are.
    await write('elsewhere/pytorch/cnn_cifar10.py', 'import torch  # edited\n');
    expect(changed(edited, await fingerprint(env))).toEqual(['runners']);
  });

  test('covers the content of the comparison file (--compare), not only its path', async () => {
    await write('.tmp/compare.json', '{"base": "HEAD~1", "cells": []}\n');
    const none = await fingerprint();
    const env = { ROSETTA_COMPARE_FILE: '.tmp/compare.json' };
    const first = await fingerprint(env);
    expect(changed(none, first)).toEqual(['environment', 'compare']);
    await write('.tmp/compare.json', '{"base": "HEAD~2", "cells": []}\n');
    expect(changed(first, await fingerprint(env))).toEqual(['compare']);
  });

  test('follows linked folders, and a cycle of links does not hang it', async () => {
    await write('shared/keras/cnn_cifar10.py', 'import keras\n');
    await symlink(join(root, 'shared/keras'), join(root, 'runners/keras'));
    await symlink('..', join(root, 'runners/pytorch/loop'));
    const before = await fingerprint();
    await write('shared/keras/cnn_cifar10.py', 'import keras  # edited\n');
    expect(changed(before, await fingerprint())).toEqual(['runners']);
  });

  test('an invalid setting still gives a fingerprint (Astro reports the setting)', async () => {
    const bad = await fingerprint({ ROSETTA_SITE: 'not a url' });
    expect(bad.hash).not.toBe((await fingerprint()).hash);
  });

  test('knows every variable the site reads (src/report/settings.ts)', async () => {
    const settings = await readFile(join(ROOT, 'src/report/settings.ts'), 'utf8');
    const read = new Set([...settings.matchAll(/env\.(ROSETTA_[A-Z_]+)/g)].map((match) => match[1]));
    expect(read.size).toBeGreaterThan(0);
    expect([...SITE_ENV].sort()).toEqual([...read].sort());
  });

  test('of the real project: the same twice, over its datasets, article, runners and sources', async () => {
    const first = await siteFingerprint(ROOT, { env: {}, cwd: ROOT });
    expect(await siteFingerprint(ROOT, { env: {}, cwd: ROOT })).toEqual(first);
    expect(Object.keys(first.parts)).toEqual(['datasets', 'frameworks', 'content', 'runners', 'site', 'packages', 'environment', 'compare']);
  });
});

describe('rendering only when dist/ is not current', () => {
  const dist = () => join(root, 'dist');
  let builds: number;
  let lines: string[];
  /** A stand-in for `astro build`: writes dist/index.html, and checks no marker is there meanwhile. */
  const build = async (at: string) => {
    builds += 1;
    expect(await readMarker(join(at, 'dist'))).toBeNull();
    await mkdir(join(at, 'dist'), { recursive: true });
    await writeFile(join(at, 'dist', 'index.html'), `<html>build ${builds}</html>\n`);
  };
  const render = (options: { force?: string; env?: Record<string, string>; base?: string; build?: (root: string, base?: string) => Promise<void> } = {}) =>
    renderSite(root, { log: (line) => lines.push(line), env: options.env ?? {}, cwd: root, build: options.build ?? build, force: options.force, base: options.base });

  beforeEach(() => {
    builds = 0;
    lines = [];
  });

  test('a first build renders and marks dist/; a second with the same inputs renders nothing, and says so', async () => {
    expect(await render()).toBe('rendered');
    expect(lines).toEqual(['rendering the site (dist/ holds no complete build)']);
    const marker = await readMarker(dist());
    expect(marker?.fingerprint).toBe((await fingerprint()).hash);
    lines = [];
    expect(await render()).toBe('current');
    expect(builds).toBe(1);
    expect(lines).toEqual(['site is current (dist/ built from these datasets and sources); nothing to render']);
  });

  test('any change to what the site is built from renders again, naming what changed', async () => {
    await render();
    await write('content/results/cnn-cifar10.json', '{"rows": ["new"]}\n');
    expect(await render()).toBe('rendered');
    expect(lines.at(-1)).toBe('rendering the site (changed since dist/ was built: datasets)');
    expect(await render({ env: { ROSETTA_SITE: 'https://example.org' } })).toBe('rendered');
    expect(lines.at(-1)).toBe('rendering the site (changed since dist/ was built: environment)');
    expect(await render({ env: { ROSETTA_SITE: 'https://example.org' } })).toBe('current');
    expect(builds).toBe(3);
  });

  test('--base is handed to Astro and is part of what dist/ was built from', async () => {
    const bases: (string | undefined)[] = [];
    const recording = async (at: string, base?: string) => {
      bases.push(base);
      await build(at);
    };
    await render({ build: recording });
    expect(await render({ build: recording, base: '/rosetta-bench/' })).toBe('rendered');
    expect(lines.at(-1)).toBe('rendering the site (changed since dist/ was built: environment)');
    expect(await render({ build: recording, base: '/rosetta-bench/' })).toBe('current');
    expect(bases).toEqual([undefined, '/rosetta-bench/']);
  });

  test('an unrelated change renders nothing', async () => {
    await render();
    await write('README.md', '# Edited\n');
    await write('tests/other.test.ts', 'new\n');
    expect(await render()).toBe('current');
    expect(builds).toBe(1);
  });

  test('forced (--force-render, --compare) it renders even when current', async () => {
    await render();
    expect(await render({ force: '--force-render' })).toBe('rendered');
    expect(lines.at(-1)).toBe('rendering the site (--force-render)');
    expect(builds).toBe(2);
    expect(await render()).toBe('current');
  });

  test('a missing, unreadable or mismatched marker means not current', async () => {
    const current = await fingerprint();
    await mkdir(dist(), { recursive: true });
    await writeFile(join(dist(), 'index.html'), '<html></html>\n');
    expect(await siteCurrency(dist(), current)).toEqual({ current: false, why: 'dist/ holds no complete build' });
    await writeFile(join(dist(), MARKER), '{"fingerprint": "abc", "par');
    expect((await siteCurrency(dist(), current)).current).toBe(false);
    await writeMarker(dist(), { hash: 'f'.repeat(64), parts: { ...current.parts, site: 'other' } });
    expect(await siteCurrency(dist(), current)).toEqual({ current: false, why: 'changed since dist/ was built: site' });
    await writeMarker(dist(), { hash: 'f'.repeat(64), parts: current.parts });
    expect(await siteCurrency(dist(), current)).toEqual({ current: false, why: 'dist/ was built by another version of the build' });
    await writeMarker(dist(), current);
    expect(await siteCurrency(dist(), current)).toEqual({ current: true });
    // A marker without the site it marks is not current either.
    await rm(join(dist(), 'index.html'));
    expect(await siteCurrency(dist(), current)).toEqual({ current: false, why: 'dist/index.html is missing' });
  });

  test('a failed render leaves no marker, even where a current one was, and the next build renders', async () => {
    await render();
    await write('content/article/abstract.mdx', '---\ntitle: Abstract\n---\nBroken <Note>\n');
    const failing = async (at: string) => {
      expect(await readMarker(join(at, 'dist'))).toBeNull();
      await writeFile(join(at, 'dist', 'index.html'), 'half');
      throw new Error('astro: MDX parse error');
    };
    await expect(render({ build: failing })).rejects.toThrow('MDX parse error');
    expect(await readMarker(dist())).toBeNull();
    // Reverting the input does not make the half-written dist/ current.
    await write('content/article/abstract.mdx', FILES['content/article/abstract.mdx']);
    expect(await render()).toBe('rendered');
    expect(builds).toBe(2);
  });

  test('the marker is written whole (no temporary file left), and only the marker is added to dist/', async () => {
    const { readdir } = await import('node:fs/promises');
    await render();
    expect((await readdir(dist())).sort()).toEqual([MARKER, 'index.html']);
    const marker = JSON.parse(await readFile(join(dist(), MARKER), 'utf8'));
    expect(marker).toMatchObject({ version: 1, fingerprint: (await fingerprint()).hash, parts: (await fingerprint()).parts });
    // A temporary marker left by a killed build is cleared by the next render.
    await writeFile(join(dist(), `${MARKER}.123.abcd.tmp`), '{}');
    await render({ force: '--force-render' });
    expect((await readdir(dist())).sort()).toEqual([MARKER, 'index.html']);
  });
});
