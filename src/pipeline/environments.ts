// Python environments: one virtual environment per set of requirements, created on first use under
// .venvs/ (or $ROSETTA_VENVS), in a folder named by the hash of the requirements (their lines, not
// the file's name), so frameworks that pin the same packages share one environment, and a CI cache
// keyed by that name stays valid exactly as long as the requirements do. They are made by uv (a
// pinned version, installed once with pip beside them), which downloads and unpacks in parallel;
// its cache is kept in the same folder (uv-cache/, linked into the environments rather than
// copied), so a cached folder also spares the downloads of a new one.
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { sha256 } from './key.ts';
import type { Framework } from './schemas.ts';

/** Installed beside every framework's own requirements (the runners' tests need pytest). */
export const TEST_REQUIREMENTS = 'runners/requirements-test.txt';
const COMPLETE = '.complete';
/** The installer's pin: changing it changes no environment's name (the requirements do). */
const UV_VERSION = '0.13.9';
const BUILD_CONSTRAINTS = 'build-constraints.txt';

export interface Environment {
  python: string;
  dir: string;
}

/** Where the environments live: $ROSETTA_VENVS, or .venvs/ in the project. */
export const environmentsRoot = (root: string) => process.env.ROSETTA_VENVS ?? join(root, '.venvs');

/** The Python the environments are made with (and the build's helper scripts run with). */
export const systemPython = () => process.env.ROSETTA_PYTHON ?? 'python3';

/** The requirement lines of a file, comments and blank lines left out, sorted: what is installed. */
async function requirementLines(root: string, path: string): Promise<string[]> {
  const text = await readFile(join(root, path), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the requirements ${path}: ${error.code ?? error.message}`);
  });
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean).sort();
}

/** A package's name as installers compare it (PEP 503): lower case, runs of - _ . as one dash. */
export const packageName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** The exact pins of a requirements file (`name==version` lines), by package name. */
export async function pinnedVersions(root: string, path: string): Promise<Record<string, string>> {
  const pins: Record<string, string> = {};
  for (const line of await requirementLines(root, path)) {
    const pin = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;=]+)\s*$/.exec(line);
    if (pin) pins[packageName(pin[1])] = pin[3];
  }
  return pins;
}

/** How the installed packages differ from the pins, in words (empty when they match). A local
 * build of the pinned version (2.13.0+cu128 for 2.13.0) matches. The same rule is in
 * scripts/execute-plan.py, which checks before running; ingest checks again. */
export function versionMismatches(pins: Record<string, string>, installed: Record<string, string | null>): string[] {
  return Object.entries(pins).flatMap(([name, pinned]) => {
    const found = installed[name] ?? null;
    const matches = found !== null && (found === pinned || (!pinned.includes('+') && found.startsWith(`${pinned}+`)));
    return matches ? [] : [`${name} ${found ?? 'not installed'} (pinned ${pinned})`];
  });
}

/** The constraints of the builds of source distributions (their isolated build
 * environments): build-constraints.txt beside the requirements, when there is one, e.g. an old
 * setup.py that needs a setuptools older than the newest. Undefined when there is none. */
async function buildConstraints(root: string, requirements: string): Promise<string | undefined> {
  const path = join(dirname(requirements), BUILD_CONSTRAINTS);
  return (await exists(join(root, path))) ? path : undefined;
}

export async function environmentDir(root: string, framework: Framework): Promise<string> {
  const lines = [...new Set([...(await requirementLines(root, framework.environment.requirements)), ...(await requirementLines(root, TEST_REQUIREMENTS))])].sort();
  const constraints = await buildConstraints(root, framework.environment.requirements);
  const built = constraints ? (await requirementLines(root, constraints)).map((line) => `build: ${line}`) : [];
  return join(environmentsRoot(root), `env-${sha256([...lines, ...built].join('\n')).slice(0, 16)}`);
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** The environments being made by this process, by folder: frameworks that share one wait for it. */
const making = new Map<string, Promise<Environment>>();

/**
 * Returns the framework's environment, creating it when missing (once per process, however many
 * frameworks share it). It is built in a temporary folder and renamed into place when complete,
 * so an interrupted creation never looks usable and two processes creating it at once do not step
 * on each other. Throws with the installer's output on failure.
 */
export async function ensureEnvironment(root: string, framework: Framework, log: (line: string) => void): Promise<Environment> {
  const dir = await environmentDir(root, framework);
  if (!making.has(dir)) making.set(dir, createEnvironment(root, framework, dir, log).finally(() => making.delete(dir)));
  return making.get(dir)!;
}

/**
 * Makes the folder `dir` by filling a temporary folder beside it and renaming that into place once
 * complete (COMPLETE written last), so an interrupted build never looks usable and two processes
 * building it at once do not step on each other. A failure throws `why` with the command's last lines.
 */
async function buildFolder(dir: string, fill: (building: string) => Promise<void>, why: string): Promise<void> {
  if (await exists(join(dir, COMPLETE))) return;
  const building = `${dir}.${process.pid}.tmp`;
  try {
    await fill(building);
    await writeFile(join(building, COMPLETE), `${new Date().toISOString()}\n`);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    const output = String((error as { all?: string }).all ?? (error as Error).message);
    throw new Error(`${why}:\n${output.split('\n').slice(-15).join('\n')}`);
  }
  if (await exists(join(dir, COMPLETE))) {
    await rm(building, { recursive: true, force: true }); // another process finished first
    return;
  }
  await rm(dir, { recursive: true, force: true }); // an incomplete folder left by an older build
  await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(join(dir, COMPLETE)))) throw error; // another process finished it first
  });
}

/** uv, installed with pip into its own environment under the environments' folder (once). uv finds
 * its own binary wherever the folder is: no script's shebang is used. */
let installing: Promise<string> | undefined;
function installer(root: string): Promise<string> {
  const dir = join(environmentsRoot(root), `uv-${UV_VERSION}`);
  installing ??= buildFolder(dir, async (building) => {
    await execa(systemPython(), ['-m', 'venv', building]);
    await execa(join(building, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `uv==${UV_VERSION}`], { all: true });
  }, `could not install the installer uv ${UV_VERSION} from PyPI`).then(() => join(dir, 'bin', 'uv'));
  installing.catch(() => (installing = undefined)); // a later call tries again
  return installing;
}

/**
 * uv reads none of pip's configuration, so the settings pip has on this machine (`pip config list`:
 * a wheelhouse, local indexes, constraints, a certificate file, from pip's files or PIP_*
 * variables) are passed on, and uv picks versions across all indexes as pip does: both install the
 * same files (e.g. a CPU build of PyTorch that lies on disk, rather than a CUDA build of GBs).
 */
let settings: Promise<{ args: string[]; env: Record<string, string> }> | undefined;
const pipSettings = () => (settings ??= readPipSettings()); // once per process

async function readPipSettings(): Promise<{ args: string[]; env: Record<string, string> }> {
  const listed = await execa(systemPython(), ['-m', 'pip', 'config', 'list']).then((run) => run.stdout, () => '');
  const args = ['--index-strategy', 'unsafe-best-match'];
  const env: Record<string, string> = {};
  const flags: Record<string, string> = { 'find-links': '--find-links', 'index-url': '--index-url', 'extra-index-url': '--extra-index-url', constraint: '--constraint' };
  const seen = new Set<string>();
  for (const line of listed.split('\n')) {
    const setting = /^[^.]*\.([a-z-]+)='(.*)'$/.exec(line.trim());
    if (!setting) continue;
    const [, name, value] = setting;
    if (name === 'cert') env.SSL_CERT_FILE = value;
    for (const item of flags[name] ? value.split(/\s+/).filter(Boolean) : []) {
      if (!seen.has(`${name} ${item}`)) args.push(flags[name], item);
      seen.add(`${name} ${item}`);
    }
  }
  return { args, env };
}

async function createEnvironment(root: string, framework: Framework, dir: string, log: (line: string) => void): Promise<Environment> {
  const environment = { python: join(dir, 'bin', 'python'), dir };
  if (await exists(join(dir, COMPLETE))) return environment;

  log(`creating the Python environment of ${framework.environment.requirements} in ${dir} (first use; this takes a minute or two)`);
  const uv = await installer(root);
  // Only `python -m ...` is ever run from it, so the folder may move: no script's shebang is used.
  await buildFolder(dir, async (building) => {
    const python = join(building, 'bin', 'python');
    await execa(systemPython(), ['-m', 'venv', building]); // with the pip and setuptools of this Python, as before uv (Theano needs setuptools)
    const constraints = await buildConstraints(root, framework.environment.requirements); // for the builds of source distributions
    const pip = await pipSettings();
    await execa(uv, ['pip', 'install', '--quiet', '--python', python, '--link-mode', 'hardlink', ...pip.args,
      '-r', join(root, framework.environment.requirements), '-r', join(root, TEST_REQUIREMENTS),
      ...(constraints ? ['--build-constraints', join(root, constraints)] : [])],
    { all: true, env: { ...pip.env, UV_CACHE_DIR: join(environmentsRoot(root), 'uv-cache'), UV_NO_CONFIG: '1' } });
    await writeFile(join(building, 'requirements.txt'), `${(await requirementLines(root, framework.environment.requirements)).join('\n')}\n`);
  }, `could not create the ${framework.id} environment from ${framework.environment.requirements}`);
  log(`environment of ${framework.environment.requirements} ready`);
  return environment;
}
