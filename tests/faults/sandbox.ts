// The fault suite's sandbox: a copy of the pipeline (src/, scripts/, runners/lib/) with a content
// of its own: one benchmark ("fake"), a local cpu target and an offline gpu target, and one
// framework per runner fault, each running tests/faults/fake_runner.py with its FAULT variable.
// The frameworks need no package, so their environment is this machine's python3, made ready
// under the sandbox's own environments folder: no pip, no network, a few seconds per fault.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { environmentDir } from '../../src/pipeline/environments.ts';
import type { Dataset, Framework } from '../../src/pipeline/schemas.ts';
import { ROOT } from '../pipeline/project.ts';

/** Every runner behaviour of fake_runner.py: one framework each. */
export const RUNNER_FAULTS = [
  'ok', 'crash', 'self-kill', 'unavailable', 'hang', 'ignore-term', 'slow', 'child-holds-stdout', 'child-ignores-term',
  'flood', 'flood-one-line', 'garbage', 'nan', 'infinity', 'no-metric', 'negative-time', 'median-outside', 'other-metric',
  'other-param-count', 'bad-utf8', 'two-results', 'nothing', 'pinned',
] as const;
export type RunnerFault = (typeof RUNNER_FAULTS)[number];

/** The fake benchmark's timeout, seconds: a hung runner costs this much. */
export const TIMEOUT_S = 4;

const BENCHMARK = {
  id: 'fake', data_files: [], order: 1, title: 'Fake', kind: 'training', summary: 'A runner that breaks on purpose.',
  param_count: 3441592, metric: { name: 'train_seconds', unit: 's', label: 'training time' }, throughput_unit: 'images/s',
  flop_per_item: null, modes: ['fast'], profiles: { full: { repeats: 1 }, cpu: { repeats: 1 }, smoke: { repeats: 1 } },
  timeout_s: { full: TIMEOUT_S, cpu: TIMEOUT_S, smoke: TIMEOUT_S },
};
const hardware = (kind: 'cpu' | 'gpu') => ({ kind, name: kind, memory_gb: null, peak_flops: null, memory_bandwidth: null });
const TARGETS = [
  { id: 'cpu', label: 'CPU', hardware: hardware('cpu'), device: 'cpu', profile: 'cpu', launch: { kind: 'local' } },
  { id: 'gpu', label: 'GPU box', hardware: hardware('gpu'), device: 'cuda', profile: 'full', launch: { kind: 'offline' } },
];

export interface Sandbox {
  /** The project's root. */
  root: string;
  /** A folder beside it for the fault suite's own files (pids, bundles). */
  aux: string;
  /** Where fake runners note the pids they start. */
  pids: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function framework(fault: RunnerFault, pids: string): Framework {
  const requirements = fault === 'pinned' ? 'runners/fake/requirements-pinned.txt' : 'runners/fake/requirements.txt';
  return {
    id: fault, name: `Fake (${fault})`, runner_dir: 'runners/fake', environment: { requirements, variables: { FAULT: fault, FAULT_PIDS: pids, FAULT_SECONDS: '3' } },
    implements: ['fake'], unavailable_on: {}, notes: '',
  };
}

export async function makeSandbox(): Promise<Sandbox> {
  const base = await mkdtemp(join(tmpdir(), 'rosetta-faults-'));
  const root = join(base, 'project');
  const aux = join(base, 'aux');
  const pids = join(aux, 'pids');
  await mkdir(aux, { recursive: true });
  for (const path of ['src', 'scripts', 'package.json', 'tsconfig.json', 'runners/lib', 'runners/requirements-test.txt']) {
    await cp(join(ROOT, path), join(root, path), { recursive: true, filter: (source) => !source.includes('__pycache__') });
  }
  await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  await mkdir(join(root, 'runners/fake'), { recursive: true });
  await cp(join(import.meta.dirname, 'fake_runner.py'), join(root, 'runners/fake/fake.py'));
  await writeFile(join(root, 'runners/fake/requirements.txt'), '# nothing to install: the fake runner uses the standard library\n');
  await writeFile(join(root, 'runners/fake/requirements-pinned.txt'), 'pip==0.0.1\n');
  await writeContent(root, { benchmarks: [BENCHMARK], targets: TARGETS, frameworks: RUNNER_FAULTS.map((fault) => framework(fault, pids)) });

  // The environment of the fake frameworks: this machine's python3, ready as the build expects one.
  const venvs = join(root, '.venvs');
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  for (const requirements of ['runners/fake/requirements.txt', 'runners/fake/requirements-pinned.txt']) {
    const dir = join(venvs, basename(await environmentDir(root, { environment: { requirements, variables: {} } } as Framework)));
    await mkdir(join(dir, 'bin'), { recursive: true });
    await symlink(python, join(dir, 'bin', 'python'));
    await writeFile(join(dir, '.complete'), 'made by the fault suite\n');
  }
  return {
    root, aux, pids,
    env: { ROSETTA_VENVS: venvs, ASTRO_TELEMETRY_DISABLED: '1' },
    remove: () => rm(base, { recursive: true, force: true }),
  };
}

/** Writes content/ of the sandbox: one file per record, replacing what was there. */
export async function writeContent(root: string, content: { benchmarks: object[]; targets: object[]; frameworks: object[] }): Promise<void> {
  for (const [folder, records] of Object.entries(content)) {
    const dir = join(root, 'content', folder);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const record of records as { id: string }[]) await writeFile(join(dir, `${record.id}.json`), json(record));
  }
}

/** Starts one of the project's commands in the sandbox (scripts/NAME.ts), never rejecting. */
export function start(sandbox: Sandbox, script: string, args: string[], env: Record<string, string> = {}): ResultPromise<{ all: true; reject: false }> {
  return execa(process.execPath, [join('scripts', `${script}.ts`), ...args], {
    cwd: sandbox.root, all: true, reject: false, env: { ...sandbox.env, ...env }, forceKillAfterDelay: false,
  }) as ResultPromise<{ all: true; reject: false }>;
}

/** `npm run build` of the fake benchmark, without Astro, for these frameworks. */
export const build = (sandbox: Sandbox, frameworks: string[], ...args: string[]) =>
  start(sandbox, 'build', ['--target', 'cpu', '--mode', 'fast', '--framework', frameworks.join(','), '--no-render', ...args]);

/** The fake benchmark's dataset as the report reads it. */
export async function dataset(sandbox: Sandbox): Promise<Dataset> {
  return JSON.parse(await readFile(join(sandbox.root, 'content/results/fake.json'), 'utf8')) as Dataset;
}

export async function row(sandbox: Sandbox, framework: string, target = 'cpu') {
  return (await dataset(sandbox)).rows.find((r) => r.framework === framework && r.target === target)!;
}

/** The pids the fake runners noted, and whether any of them still runs (a zombie counts as gone). */
export async function survivors(sandbox: Sandbox): Promise<number[]> {
  const pids = (await readFile(sandbox.pids, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
  const alive = await Promise.all(pids.map(async (pid) => {
    const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    return status !== null && !/^\d+ \(.*\) Z/.test(status);
  }));
  return pids.filter((_, index) => alive[index]);
}

/** Waits until `check` holds, up to `ms`; returns whether it did. */
export async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** Every file under `dir` (relative paths) with its size and modification time (a folder: that it is one). */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (path.includes(`${join(dir, 'node_modules')}`)) continue;
    const info = await stat(path).catch(() => null);
    files.set(relative(dir, path), info ? (info.isDirectory() ? 'folder' : `${info.size}:${info.mtimeMs}`) : 'gone');
  }
  return files;
}

/** The cache files of the sandbox (relative to cache/). */
export async function cacheFiles(sandbox: Sandbox): Promise<string[]> {
  return (await readdir(join(sandbox.root, 'cache'), { recursive: true }).catch(() => [] as string[])).sort();
}
