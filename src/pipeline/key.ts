// The cell key: sha256 over the canonical JSON of every input of a cell (file contents, not mtimes).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DATA_DIR, SHARED_MODULE_DIR, VARIABLE_PREFIXES_FILE } from './files.ts';
import { PROTOCOL_VERSION, SPEC_VERSION } from './schemas.ts';
import type { Benchmark, CellId, Framework, KeyInputs, Target } from './schemas.ts';

/** The seed of the stand-in data, the shuffles and the dropout: an input of every key. */
export const SEED = 0;

/** Those of `environment`'s variables that steer the frameworks: the build passes them on to the
 * runners, so their values are inputs of the key. */
export async function steeringVariables(root: string, environment: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const prefixes = JSON.parse(await readFile(join(root, VARIABLE_PREFIXES_FILE), 'utf8')) as string[];
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined && prefixes.some((prefix) => entry[0].startsWith(prefix))),
  );
}

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

const EXTENSIONS = { python: 'py', typescript: 'ts', r: 'R' } as const;

export function runnerPath(framework: Framework, benchmark: string): string {
  return `${framework.runner_dir}/${benchmark.replaceAll('-', '_')}.${EXTENSIONS[framework.host?.language ?? 'python']}`;
}

/** What runs a framework's runners besides them and the shared module: its host's files, if any. */
export const hostFiles = (framework: Framework): string[] => (framework.host ? [framework.host.program, ...framework.host.files] : []);

/** sha256 of a file's content, streamed (the data sets are hundreds of MB). */
async function hashFile(path: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(path)) digest.update(chunk as Buffer);
  return digest.digest('hex');
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
      hash = hashFile(join(root, path)).catch((error: NodeJS.ErrnoException) => {
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
  root: string;
  hash: FileHasher;
  /** The Python files every cell of this kind executes besides its runner. */
  sharedFiles: string[];
  /** The build's own variables that steer the frameworks (steeringVariables). */
  variables: Record<string, string>;
}

/** What every key of a build shares; `folders`: the runners/lib folders whose Python files are executed. */
export async function keyContext(root: string, folders: string[] = [SHARED_MODULE_DIR]): Promise<KeyContext> {
  const sharedFiles = (await Promise.all(folders.map((folder) => pythonFiles(root, folder)))).flat();
  return { root, hash: fileHasher(root), sharedFiles, variables: await steeringVariables(root) };
}

export async function keyInputs(
  context: KeyContext,
  cell: CellId,
  benchmark: Benchmark,
  framework: Framework,
  target: Target,
): Promise<KeyInputs> {
  const executed = [runnerPath(framework, cell.benchmark), ...hostFiles(framework), ...context.sharedFiles];
  const files: Record<string, string> = {};
  for (const path of executed) files[path] = await context.hash(path);
  const data: Record<string, string | null> = {};
  for (const file of benchmark.data_files) {
    const path = `${DATA_DIR}/${file}`;
    data[file] = (await access(join(context.root, path)).then(() => true, () => false)) ? await context.hash(path) : null;
  }
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
      variables: { ...context.variables, ...framework.environment.variables },
    },
    files,
    seed: SEED,
    data,
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
