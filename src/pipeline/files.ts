// The project's layout, every folder the pipeline reads or writes (relative to the repository
// root), and the one way it writes a file: atomically.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The result cache: one JSON file per stored job (cache.ts). */
export const CACHE_DIR = 'cache';
/** The result datasets the report renders (datasets.ts). */
export const RESULTS_DIR = 'content/results';
/** What runners get as PYTHONPATH: the shared module and the Rosetta check live here, never
 * runners/ itself, so runners/jax or runners/keras can never shadow the framework packages. */
export const PYTHON_PATH = 'runners/lib';
/** The shared Python module every runner imports; its files are inputs of every key. */
export const SHARED_MODULE_DIR = 'runners/lib/rosetta';
/** The Rosetta check (`python -m equivalence`); its files are inputs of every check's key. */
export const EQUIVALENCE_DIR = 'runners/lib/equivalence';
/** The prefixes of the environment variables that steer the frameworks (threads, backends,
 * devices), shared with the runners' environment capture (runners/lib/rosetta/environment.py). */
export const VARIABLE_PREFIXES_FILE = 'runners/lib/rosetta/variables.json';
/** Where runners look for the real data sets (`npm run download-data`). */
export const DATA_DIR = 'data';
/** Where `npm run plan` writes plan files by default. */
export const PLANS_DIR = 'plans';

/** Writes to a temporary file beside the target, then renames: readers never see half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
