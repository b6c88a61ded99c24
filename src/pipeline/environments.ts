// Python environments: one virtual environment per framework environment spec, created on first
// use under .venvs/ (or $ROSETTA_VENVS), in a folder named by the hash of the spec, so a CI cache
// keyed by that name stays valid exactly as long as the spec does.
import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { sha256 } from './key.ts';
import type { FileHasher } from './key.ts';
import type { Framework } from './schemas.ts';

/** Installed beside every framework's own requirements (the runners' tests need pytest). */
export const TEST_REQUIREMENTS = 'runners/requirements-test.txt';
const COMPLETE = '.complete';

export interface Environment {
  python: string;
  dir: string;
}

export async function environmentDir(root: string, framework: Framework, hash: FileHasher): Promise<string> {
  const files = [framework.environment.requirements, TEST_REQUIREMENTS];
  const digest = sha256((await Promise.all(files.map(hash))).join('\n')).slice(0, 16);
  return join(process.env.ROSETTA_VENVS ?? join(root, '.venvs'), `${framework.id}-${digest}`);
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Returns the framework's environment, creating it when missing. It is built in a temporary folder
 * and renamed into place when complete, so an interrupted creation never looks usable and two
 * processes creating it at once do not step on each other. Throws with pip's output on failure.
 */
export async function ensureEnvironment(
  root: string,
  framework: Framework,
  hash: FileHasher,
  log: (line: string) => void,
): Promise<Environment> {
  const dir = await environmentDir(root, framework, hash);
  const environment = { python: join(dir, 'bin', 'python'), dir };
  if (await exists(join(dir, COMPLETE))) return environment;

  log(`creating the Python environment for ${framework.id} in ${dir} (first use; this takes a few minutes)`);
  const building = `${dir}.${process.pid}.tmp`;
  const python = join(building, 'bin', 'python');
  const basePython = process.env.ROSETTA_PYTHON ?? 'python3';
  try {
    await execa(basePython, ['-m', 'venv', building]);
    await execa(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
      '-r', join(root, framework.environment.requirements), '-r', join(root, TEST_REQUIREMENTS)], { all: true });
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
  log(`environment for ${framework.id} ready`);
  return environment;
}
