// A temporary copy of the project for tests that edit inputs or build end to end.
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

const COPIED = ['content', 'runners', 'src', 'scripts', 'astro.config.mjs', 'package.json', 'tsconfig.json', 'README.md'];
// Shared rather than copied: large, and not inputs of any cell key.
const LINKED = ['node_modules', '.venvs'];

export interface Project {
  root: string;
  remove(): Promise<void>;
}

/** Copies the project (without its cache) to a temporary folder. */
export async function copyProject(options: { withCache?: boolean } = {}): Promise<Project> {
  const root = await mkdtemp(join(tmpdir(), 'rosetta-project-'));
  const skip = (path: string) => path.includes('__pycache__') || path.includes(`${join('content', 'results')}`);
  for (const name of COPIED) {
    await cp(join(ROOT, name), join(root, name), { recursive: true, filter: (source) => !skip(source) }).catch((error) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  if (options.withCache) await cp(join(ROOT, 'cache'), join(root, 'cache'), { recursive: true });
  for (const name of LINKED) await symlink(join(ROOT, name), join(root, name)).catch(() => undefined);
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
