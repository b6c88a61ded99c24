// The render step of `npm run build`, skipped when dist/ is already the site of these inputs.
//
// The site's fingerprint is a sha256 of the content of everything `astro build` reads (never of
// modification times, which a checkout or a copy changes without changing anything):
//   datasets      the result datasets (ROSETTA_RESULTS_DIR, default content/results)
//   frameworks    the framework records (ROSETTA_FRAMEWORKS_DIR, default content/frameworks)
//   content       the rest of content/: the article's MDX and notes, benchmarks, targets
//   runners       runners/ and every framework's runner_dir (the code pages show the runners'
//                 source); __pycache__/ and *.pyc are left out
//   site          src/ (pages, components, layouts, report, and the pipeline modules they import),
//                 public/, astro.config.*, tsconfig.json
//   packages      package.json, package-lock.json and node_modules/.package-lock.json (the Astro,
//                 MDX, Vega, zod actually installed)
//   environment   the variables the site reads (src/report/settings.ts) and the settings they give,
//                 the folders the report redacts from paths (current folder, home, temporary
//                 folder: src/report/format.ts) and Node's version
//   compare       the content of ROSETTA_COMPARE_FILE (`--compare`'s results diff)
// After a successful `astro build` the fingerprint is written to dist/.rosetta-site.json, last
// and atomically; it is removed before Astro starts, so a failed or killed render never leaves a
// dist/ that claims to be current.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSettings } from '../report/settings.ts';

/** The marker Astro's output gets once the build succeeded: the fingerprint it was built from. */
export const MARKER = '.rosetta-site.json';
/** Bump when what the fingerprint covers changes, so older markers stop matching. */
const FINGERPRINT_VERSION = 1;
/** The environment variables the site reads (src/report/settings.ts). */
export const SITE_ENV = ['ROSETTA_REPOSITORY', 'ROSETTA_SITE', 'ROSETTA_RESULTS_DIR', 'ROSETTA_FRAMEWORKS_DIR', 'ROSETTA_STRICT', 'ROSETTA_COMPARE_FILE'] as const;
/** Files at the project root the site is built from (the ones that exist are hashed). */
const SITE_FILES = ['astro.config.mjs', 'astro.config.js', 'astro.config.ts', 'astro.config.mts', 'tsconfig.json'];
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json'];

type Env = Record<string, string | undefined>;

export interface Fingerprint {
  /** sha256 over the parts. */
  hash: string;
  /** One sha256 per kind of input (datasets, content, runners, ...), to say what changed. */
  parts: Record<string, string>;
}

export interface FingerprintOptions {
  env?: Env;
  /** The folder relative paths in the environment are read from (the settings' cwd). */
  cwd?: string;
  /** Astro's base path for this build (`--base`), when not the config's. */
  base?: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const skipped = (name: string) => name === '__pycache__' || name.endsWith('.pyc');

// The files are read synchronously: some 150 small files, about three times faster than with
// fs/promises (6 against 18 ms here), and nothing else runs while the build checks its site.

/** The hashes of the files under `dir`, as "label/path sha256" lines sorted by path; `exclude`
 * leaves out folders given as absolute paths. Symbolic links are followed, up to eight linked
 * folders deep (Node's recursive readdir follows them without end on a cycle of links). */
function treeLines(dir: string, label: string, exclude: string[] = [], links = 0): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [`${label} absent`];
    throw error;
  }
  const lines: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (skipped(entry.name) || exclude.includes(path)) continue;
    const name = `${label}/${entry.name}`;
    const linked = entry.isSymbolicLink();
    const target = linked ? statSync(path, { throwIfNoEntry: false }) : entry;
    if (!target) lines.push(`${name} absent`);
    else if (target.isDirectory()) lines.push(...(links < 8 ? treeLines(path, name, exclude, linked ? links + 1 : links) : [`${name} linked too deep`]));
    else if (target.isFile()) lines.push(fileLine(path, name) ?? `${name} absent`);
  }
  return lines.sort();
}

/** "label sha256" for a file, "label absent" for a missing one, null for a folder. */
function fileLine(path: string, label: string): string | null {
  try {
    return `${label} ${sha256(readFileSync(path))}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return null;
    if (code === 'ENOENT') return `${label} absent`;
    throw error;
  }
}

function filesLines(root: string, names: string[]): string[] {
  return names.map((name) => fileLine(join(root, name), name)).filter((line): line is string => line !== null);
}

/** A folder of the settings (a root-relative string or a file URL) as an absolute path. */
function folderPath(root: string, folder: string | URL): string {
  return folder instanceof URL ? fileURLToPath(folder).replace(/[\\/]+$/, '') : resolve(root, folder);
}

/** How a folder is named in the fingerprint: relative to the root inside it, absolute outside. */
function labelOf(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** The runner_dir of every framework record in `dir` that declares one (records that do not
 * parse are in the fingerprint as files; the site's build reports them). */
function runnerDirs(root: string, dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const dirs = new Set<string>();
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { runner_dir?: unknown };
      if (typeof record.runner_dir === 'string') dirs.add(resolve(root, record.runner_dir.replace(/\/+$/, '')));
    } catch {
      // Not a record the site can read: its build fails on it, and the file is hashed as content.
    }
  }
  return [...dirs];
}

/** The fingerprint of everything `astro build` at `root` reads, under this environment. */
export async function siteFingerprint(root: string, options: FingerprintOptions = {}): Promise<Fingerprint> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  root = resolve(root);
  const variables = Object.fromEntries(SITE_ENV.map((name) => [name, env[name] ?? null]));
  let settings: Record<string, unknown>;
  let resultsDir = join(root, 'content', 'results');
  let frameworksDir = join(root, 'content', 'frameworks');
  let compareFile: string | undefined;
  try {
    const read = readSettings(env, cwd);
    resultsDir = folderPath(root, read.resultsDir);
    frameworksDir = folderPath(root, read.frameworksDir);
    compareFile = read.compareFile;
    settings = { ...read, resultsDir, frameworksDir };
  } catch (error) {
    // Invalid settings: Astro's build fails on them, so this fingerprint is never marked current.
    settings = { invalid: (error as Error).message };
  }
  const runners = join(root, 'runners');
  const outside = runnerDirs(root, frameworksDir).filter((dir) => dir !== runners && !dir.startsWith(`${runners}${sep}`));

  const datasets = treeLines(resultsDir, labelOf(root, resultsDir));
  const frameworks = treeLines(frameworksDir, labelOf(root, frameworksDir));
  const content = treeLines(join(root, 'content'), 'content', [resultsDir, frameworksDir]);
  const runnerLines = [runners, ...outside].flatMap((dir) => treeLines(dir, labelOf(root, dir)));
  const site = [...treeLines(join(root, 'src'), 'src'), ...treeLines(join(root, 'public'), 'public'), ...filesLines(root, SITE_FILES)];
  const packages = filesLines(root, PACKAGE_FILES);
  const compare = compareFile === undefined ? ['none'] : [fileLine(compareFile, compareFile) ?? `${compareFile} is a folder`];
  const environment = JSON.stringify({ variables, settings, base: options.base ?? null, cwd, home: homedir(), tmp: tmpdir(), node: process.version });
  const parts: Record<string, string> = {
    datasets: sha256(datasets.join('\n')),
    frameworks: sha256(frameworks.join('\n')),
    content: sha256(content.join('\n')),
    runners: sha256(runnerLines.join('\n')),
    site: sha256(site.join('\n')),
    packages: sha256(packages.join('\n')),
    environment: sha256(environment),
    compare: sha256(compare.join('\n')),
  };
  return { hash: sha256(JSON.stringify({ version: FINGERPRINT_VERSION, parts })), parts };
}

interface Marker {
  version: number;
  fingerprint: string;
  parts: Record<string, string>;
  built_at: string;
}

/** The marker of dist/, or null when there is none or it does not parse. */
export async function readMarker(dist: string): Promise<Marker | null> {
  try {
    const marker = JSON.parse(await readFile(join(dist, MARKER), 'utf8')) as Partial<Marker>;
    return typeof marker.fingerprint === 'string' && marker.parts && typeof marker.parts === 'object' ? (marker as Marker) : null;
  } catch {
    return null;
  }
}

export type Currency = { current: true } | { current: false; why: string };

/** Whether dist/ is the site of this fingerprint: its marker matches and its index page exists. */
export async function siteCurrency(dist: string, fingerprint: Fingerprint): Promise<Currency> {
  const marker = await readMarker(dist);
  if (!marker) return { current: false, why: 'dist/ holds no complete build' };
  if (marker.fingerprint !== fingerprint.hash) {
    const changed = Object.keys(fingerprint.parts).filter((part) => marker.parts[part] !== fingerprint.parts[part]);
    return { current: false, why: changed.length ? `changed since dist/ was built: ${changed.join(', ')}` : 'dist/ was built by another version of the build' };
  }
  const index = await stat(join(dist, 'index.html')).catch(() => null);
  if (!index?.isFile()) return { current: false, why: 'dist/index.html is missing' };
  return { current: true };
}

/** Removes the marker (and a temporary one a killed build left behind). */
export async function clearMarker(dist: string): Promise<void> {
  const names = await readdir(dist).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name === MARKER || (name.startsWith(`${MARKER}.`) && name.endsWith('.tmp'))).map((name) => rm(join(dist, name), { force: true })));
}

/** Writes the marker beside what Astro produced: to a temporary file, then renamed into place. */
export async function writeMarker(dist: string, fingerprint: Fingerprint, now = new Date()): Promise<void> {
  const marker: Marker = { version: FINGERPRINT_VERSION, fingerprint: fingerprint.hash, parts: fingerprint.parts, built_at: now.toISOString() };
  const path = join(dist, MARKER);
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(marker, null, 2)}\n`);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export interface RenderOptions {
  /** Render even when dist/ is current (--force-render, --compare); the reason, for the log. */
  force?: string;
  log: (line: string) => void;
  env?: Env;
  cwd?: string;
  /** Astro's base path (`--base`: the site served under a sub-path), instead of the config's. */
  base?: string;
  /** The Astro build (injected by tests). */
  build?: (root: string, base?: string) => Promise<void>;
}

async function astroBuild(root: string, base?: string): Promise<void> {
  const { build } = await import('astro');
  await build({ root, ...(base === undefined ? {} : { base }) });
}

/**
 * Renders the site into <root>/dist with Astro unless dist/ was built from the same inputs; returns
 * whether it rendered. The environment is read when called: set the site's variables first.
 */
export async function renderSite(root: string, options: RenderOptions): Promise<'rendered' | 'current'> {
  const dist = join(resolve(root), 'dist');
  const fingerprint = await siteFingerprint(root, { env: options.env, cwd: options.cwd, base: options.base });
  const currency: Currency = options.force ? { current: false, why: options.force } : await siteCurrency(dist, fingerprint);
  if (currency.current) {
    options.log('site is current (dist/ built from these datasets and sources); nothing to render');
    return 'current';
  }
  options.log(`rendering the site (${currency.why})`);
  await clearMarker(dist);
  await (options.build ?? astroBuild)(root, options.base);
  await writeMarker(dist, fingerprint);
  return 'rendered';
}
