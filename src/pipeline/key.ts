// The cell key: sha256 over the canonical JSON of every input of a cell (file contents, not mtimes).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { Benchmark, CellId, Framework, KeyInputs, Target } from './schemas.ts';

/**
 * The shared Python module every runner imports; its files are inputs of every cell. It lives in
 * its own folder on PYTHONPATH (runners/lib), so runners/jax or runners/keras can never shadow the
 * framework packages of the same name.
 */
export const SHARED_MODULE_DIR = 'runners/lib/rosetta';
/** What runners get as PYTHONPATH, relative to the repository root. */
export const PYTHON_PATH = 'runners/lib';

/** JSON with object keys sorted at every level, so equal values always serialise identically. */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, inner: unknown) =>
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : inner,
    indent,
  );
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function cellKey(inputs: KeyInputs): string {
  return sha256(canonicalJson(inputs));
}

export function runnerPath(framework: Framework, benchmark: string): string {
  return `${framework.runner_dir}/${benchmark.replaceAll('-', '_')}.py`;
}

/** Reads files once per build: repository path -> sha256 of the content. */
export interface FileHasher {
  (path: string): Promise<string>;
}

export function fileHasher(root: string): FileHasher {
  const memo = new Map<string, Promise<string>>();
  return (path) => {
    let hash = memo.get(path);
    if (!hash) {
      hash = readFile(join(root, path)).then(sha256, (error: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${path}, an input of the cell key: ${error.code ?? error.message}`);
      });
      memo.set(path, hash);
    }
    return hash;
  };
}

/** The Python source files of a folder of runners/lib (caches excluded), sorted; by default the shared module's. */
export async function pythonFiles(root: string, dir = SHARED_MODULE_DIR): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py') && !entry.parentPath.includes('__pycache__'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

export interface KeyContext {
  hash: FileHasher;
  sharedFiles: string[];
}

export async function keyInputs(
  context: KeyContext,
  cell: CellId,
  benchmark: Benchmark,
  framework: Framework,
  target: Target,
): Promise<KeyInputs> {
  const executed = [runnerPath(framework, cell.benchmark), ...context.sharedFiles];
  const files: Record<string, string> = {};
  for (const path of executed) files[path] = await context.hash(path);
  return {
    spec_version: SPEC_VERSION,
    protocol: PROTOCOL_VERSION,
    cell,
    params: benchmark.profiles[cell.profile],
    target: { hardware: target.hardware, device: target.device },
    environment: {
      requirements: {
        path: framework.environment.requirements,
        sha256: await context.hash(framework.environment.requirements),
      },
      variables: framework.environment.variables,
    },
    files,
  };
}

/** The dotted paths at which two sets of inputs differ, e.g. ["files.runners/pytorch/gru_imdb.py"]. */
export function diffInputs(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return names.flatMap((name) => diffInputs(a[name], b[name], prefix ? `${prefix}.${name}` : name));
  }
  return canonicalJson(a) === canonicalJson(b) ? [] : [prefix || '(root)'];
}
