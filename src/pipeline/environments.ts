// Python environments: one virtual environment per set of requirements, created on first use under
// .venvs/ (or $ROSETTA_VENVS), in a folder named by the hash of the requirements (their lines, not
// the file's name), so frameworks that pin the same packages share one environment, and a CI cache
// keyed by that name stays valid exactly as long as the requirements do. pip's downloads are kept
// in the same folder (pip-cache/), so a cached folder also spares the downloads of a new one.
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { sha256 } from './key.ts';
import type { Framework } from './schemas.ts';

/** Installed beside every framework's own requirements (the runners' tests need pytest). */
export const TEST_REQUIREMENTS = 'runners/requirements-test.txt';
const COMPLETE = '.complete';
const BUILD_CONSTRAINTS = 'build-constraints.txt';

export interface Environment {
  python: string;
  dir: string;
}

/** Where the environments live: $ROSETTA_VENVS, or .venvs/ in the project. */
export const environmentsRoot = (root: string) => process.env.ROSETTA_VENVS ?? join(root, '.venvs');

/** The Python the environments are made with (and the build's helper scripts run with). */
export const systemPython = () => process.env.ROSETTA_PYTHON ?? 'python3';

/** The requirement lines of a file, comments and blank lines left out, sorted: what pip installs. */
async function requirementLines(root: string, path: string): Promise<string[]> {
  const text = await readFile(join(root, path), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the requirements ${path}: ${error.code ?? error.message}`);
  });
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean).sort();
}

/** A package's name as pip compares it (PEP 503): lower case, runs of - _ . as one dash. */
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

/** The constraints of the builds pip runs for source distributions (their isolated build
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
 * on each other. Throws with pip's output on failure.
 */
export async function ensureEnvironment(root: string, framework: Framework, log: (line: string) => void): Promise<Environment> {
  const dir = await environmentDir(root, framework);
  if (!making.has(dir)) making.set(dir, createEnvironment(root, framework, dir, log).finally(() => making.delete(dir)));
  return making.get(dir)!;
}

async function createEnvironment(root: string, framework: Framework, dir: string, log: (line: string) => void): Promise<Environment> {
  const environment = { python: join(dir, 'bin', 'python'), dir };
  if (await exists(join(dir, COMPLETE))) return environment;

  log(`creating the Python environment of ${framework.environment.requirements} in ${dir} (first use; this takes a few minutes)`);
  const building = `${dir}.${process.pid}.tmp`;
  const python = join(building, 'bin', 'python');
  try {
    await execa(systemPython(), ['-m', 'venv', building]);
    const constraints = await buildConstraints(root, framework.environment.requirements); // pip passes PIP_CONSTRAINT on to its build environments
    await execa(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
      '-r', join(root, framework.environment.requirements), '-r', join(root, TEST_REQUIREMENTS)],
    { all: true, env: { PIP_CACHE_DIR: join(environmentsRoot(root), 'pip-cache'), ...(constraints && { PIP_CONSTRAINT: join(root, constraints) }) } });
    await writeFile(join(building, 'requirements.txt'), `${(await requirementLines(root, framework.environment.requirements)).join('\n')}\n`);
    await writeFile(join(building, COMPLETE), `${new Date().toISOString()}\n`);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    const output = String((error as { all?: string }).all ?? (error as Error).message);
    throw new Error(`could not create the ${framework.id} environment from ${framework.environment.requirements}:\n${output.split('\n').slice(-15).join('\n')}`);
  }
  // Only `python -m ...` is ever run from it, so the folder may move: no script's shebang is used.
  if (await exists(join(dir, COMPLETE))) {
    await rm(building, { recursive: true, force: true }); // another process finished first
    return environment;
  }
  await rm(dir, { recursive: true, force: true }); // an incomplete folder left by an older build
  await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(join(dir, COMPLETE)))) throw error; // another process finished it first
  });
  log(`environment of ${framework.environment.requirements} ready`);
  return environment;
}
