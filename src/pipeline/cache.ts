// The result cache: keyv over a store that keeps one pretty-printed JSON file per job and key under
// cache/, so a pull request shows each new result as one small, readable file. Cells live in
// cache/<benchmark>/<framework>/, checks in cache/equivalence/, replaced records in cache/history/.
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import Keyv from 'keyv';
import { z } from 'zod';
import { CACHE_DIR, writeFileAtomic } from './files.ts';
import type { Content } from './content.ts';
import { UserError } from './errors.ts';
import { canonicalJson, cellKey } from './key.ts';
import { expectedOf, implausible, mismeasured } from './outcome.ts';
import type { CellOutcome, CheckOutcome } from './outcome.ts';
import type { PlannedCell, PlannedCheck, PlannedJob, Stored } from './plan.ts';
import { CACHE_ENTRY_VERSION, CacheEntrySchema, CheckEntrySchema } from './schemas.ts';
import type { CacheEntry, CellId, CheckEntry, CheckId } from './schemas.ts';

type StoredText = { value: string; expires?: number };

const NAME = /^[a-z0-9][a-z0-9./-]*$/;

function pathOf(dir: string, name: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new Error(`invalid cache entry name "${name}"`);
  return join(dir, `${name}.json`);
}

/** A keyv store of text files: key "a/b" is the file <dir>/a/b.json. Listing is `scan`'s, which
 * also reports what is not a record. */
function fileStore(dir: string) {
  const read = async (name: string): Promise<StoredText | undefined> => {
    try {
      return { value: await readFile(pathOf(dir, name), 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    get: read,
    has: async (name: string) => (await read(name)) !== undefined,
    set: async (name: string, stored: StoredText) => {
      await writeFileAtomic(pathOf(dir, name), stored.value);
      return true;
    },
    delete: async (name: string) => {
      await rm(pathOf(dir, name), { force: true });
      return true;
    },
    clear: async () => {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The record names under `dir` (its .json files, the `exclude`d top-level folders left out), and
 * the .json paths that cannot be records (a name no job has, a folder, a link): never read. */
async function scan(dir: string, exclude: string[]): Promise<{ names: string[]; strays: CacheProblem[] }> {
  const found: { names: string[]; strays: CacheProblem[] } = { names: [], strays: [] };
  let entries: Dirent[] = [];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const culprit = code === 'ENOTDIR' ? await notAFolder(dir) : dir;
    if (code !== 'ENOENT') throw new UserError(`the cache folder ${shownPath(culprit)} cannot be read (${code ?? (error as Error).message}); it must be a folder this user can read and write`);
  }
  for (const entry of entries) {
    const file = relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/');
    if (!entry.name.endsWith('.json') || exclude.includes(file.split('/')[0])) continue;
    const name = file.slice(0, -'.json'.length);
    if (entry.isFile() && NAME.test(name) && !name.includes('..')) found.names.push(name);
    else found.strays.push({ path: shownPath(join(dir, file)), message: `not a cache entry (${entry.isFile() ? 'a name no job has' : 'not a plain file'}); ignored` });
  }
  found.names.sort();
  return found;
}

const shownPath = (path: string) => relative(process.cwd(), path) || path;

/** The nearest of `dir` and its parents that exists (the file standing where a folder must be), so
 * the cells', checks' and history's scans all name the same path whichever fails first. */
async function notAFolder(dir: string): Promise<string> {
  for (let path = dir; ; path = dirname(path)) {
    if (dirname(path) === path || (await stat(path).then(() => true, () => false))) return path;
  }
}

export interface Cache {
  dir: string;
  /** Top-level folders of `dir` that hold other stores. */
  exclude: string[];
  store: Keyv<string>;
  /** Where a record goes when a new one of the same name replaces it (`--remeasure`, a rerun of a
   * failure): nothing measured is ever deleted. */
  historyDir: string;
}

/** The cache of the files under `dir`; the folder CHECKS_FOLDER holds the Rosetta checks' store,
 * HISTORY_FOLDER the records that newer ones replaced. */
export const CHECKS_FOLDER = 'equivalence';
export const HISTORY_FOLDER = 'history';

export function openCache(dir: string, exclude: string[] = [CHECKS_FOLDER, HISTORY_FOLDER], historyDir = join(dir, HISTORY_FOLDER)): Cache {
  const store = new Keyv<string>({ store: fileStore(dir), serialization: false });
  return { dir, exclude, store, historyDir };
}

/** The replaced records of one name, oldest first: history/<name>.<its finished_at>.json. */
export async function historyOf(cache: Cache, name: string): Promise<string[]> {
  const path = pathOf(cache.historyDir, name);
  const base = path.slice(dirname(path).length + 1, -'.json'.length);
  const files = await readdir(dirname(path)).catch(() => [] as string[]);
  return files.filter((file) => file.startsWith(`${base}.`) && file.endsWith('.json')).sort().map((file) => join(dirname(path), file));
}

/** cache/<benchmark>/<framework>/<target>.<mode>.<profile>.<key>.json */
export function entryName(cell: CellId, key: string): string {
  return `${cell.benchmark}/${cell.framework}/${cell.target}.${cell.mode}.${cell.profile}.${key}`;
}

export interface CacheProblem {
  path: string;
  message: string;
}

/** Parses a stored file with its record's schema; `nameOf` says what its name must be. */
export function parseStored<T>(cache: Cache, name: string, text: string, schema: z.ZodType<T>, nameOf: (record: T) => string): T | CacheProblem {
  const path = shownPath(pathOf(cache.dir, name));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { path, message: `not valid JSON (${(error as Error).message}); treated as missing` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { path, message: `not a valid cache entry; treated as missing:\n${z.prettifyError(parsed.error)}` };
  if (nameOf(parsed.data) !== name) return { path, message: 'its cell or key does not match its file name; treated as missing' };
  return parsed.data;
}

const parseEntry = (cache: Cache, name: string, text: string) => parseStored(cache, name, text, cellEntries.schema, cellEntries.nameOf);

const isProblem = <T extends object>(value: T | CacheProblem): value is CacheProblem => 'message' in value && 'path' in value;

export interface CacheListing {
  entries: CacheEntry[];
  problems: CacheProblem[];
}

/** Every valid cell entry; invalid or corrupt files are reported by path and left out. */
export const listEntries = (cache: Cache): Promise<CacheListing> => listRecords(cache, cellEntries);

export async function readEntry(cache: Cache, cell: CellId, key: string): Promise<CacheEntry | CacheProblem | undefined> {
  const name = entryName(cell, key);
  const text = await cache.store.get(name);
  return text === undefined ? undefined : parseEntry(cache, name, text);
}

/** Keys sorted at every level, two-space indents, final newline: stable diffs in pull requests. */
export function serialiseEntry(entry: object): string {
  return `${canonicalJson(entry, 2)}\n`;
}

/** One kind of stored record: its schema and the name its file must have. */
export interface RecordKind<T extends { status: string; finished_at: string }> {
  schema: z.ZodType<T>;
  nameOf: (record: T) => string;
}

const cellEntries: RecordKind<CacheEntry> = { schema: CacheEntrySchema, nameOf: (entry) => entryName(entry.cell, entry.key) };

/** Every readable record of a store; corrupt or stray files are reported by path and left out. With
 * `verify`, a record that fails it is kept as invalid (verified), never as a result. */
export async function listRecords<T extends StoredRecord>(cache: Cache, kind: RecordKind<T>, verify?: Verify): Promise<{ entries: T[]; problems: CacheProblem[] }> {
  const { names, strays } = await scan(cache.dir, cache.exclude);
  const listing: { entries: T[]; problems: CacheProblem[] } = { entries: [], problems: strays };
  for (const name of names) {
    const parsed = await readRecord(cache, name, kind);
    if (parsed === undefined) continue;
    if (isProblem(parsed)) listing.problems.push(parsed);
    else listing.entries.push(verify ? verified(cache, name, parsed, verify, listing.problems) : parsed);
  }
  return listing;
}

/** One record by name; undefined when there is none, a problem when it cannot be read or parsed. */
async function readRecord<T extends StoredRecord>(cache: Cache, name: string, kind: RecordKind<T>): Promise<T | CacheProblem | undefined> {
  let text: string | undefined;
  try {
    text = await cache.store.get(name);
  } catch (error) {
    return { path: shownPath(pathOf(cache.dir, name)), message: `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); treated as missing` };
  }
  return text === undefined ? undefined : parseStored(cache, name, text, kind.schema, kind.nameOf);
}

type StoredRecord = CacheEntry | CheckEntry;
/** Why a record cannot stand for its job (verifyRecord with the content). */
export type Verify = (record: StoredRecord) => string[];

/** The record as it may be shown: itself, or, when it fails verification, invalid with the reasons. */
function verified<T extends StoredRecord>(cache: Cache, name: string, record: T, verify: Verify, problems: CacheProblem[]): T {
  const reasons = verify(record);
  if (reasons.length === 0) return record;
  problems.push({ path: shownPath(pathOf(cache.dir, name)), message: `invalid (${reasons.join('; ')}); shown as invalid, never as a result` });
  const error = { message: `its stored record fails verification: ${reasons.join('; ')}`, exit_code: null, stderr_tail: [] };
  return { ...record, status: 'invalid-output', error, ...('cell' in record ? { result: null } : { outcome: null }) };
}

/**
 * Why a stored record cannot stand for its job, in words (empty when it can): its key must be the
 * hash of its inputs and its inputs those of its job (a record copied to another cell's name, or
 * edited, fails), ok must mean a result and anything else a reason, and a cell's result must be
 * plausible for its benchmark (outcome.ts, implausible) and a measurement of its cell (mismeasured:
 * TF32 on in fp32 mode, FLOP/s above its target's peak).
 */
export function verifyRecord(record: StoredRecord, content: Pick<Content, 'benchmarks'>): string[] {
  const reasons: string[] = [];
  if (cellKey(record.inputs) !== record.key) reasons.push('its key is not the hash of its inputs');
  const ran = record.inputs.cell;
  const job = 'cell' in record ? record.cell : record.check;
  const sameJob = 'cell' in record ? canonicalJson(ran) === canonicalJson(record.cell) : ran.benchmark === job.benchmark && ran.framework === job.framework;
  if (!sameJob) reasons.push(`its inputs are those of ${cellIdText(ran)}, not of its own job`);
  const result = 'cell' in record ? record.result : record.outcome;
  if (record.status === 'ok' && result === null) reasons.push('it is ok without a result');
  if (record.status !== 'ok' && (result !== null || record.error === null)) reasons.push(`it is ${record.status} ${result !== null ? 'with a result' : 'without a reason'}`);
  if ('cell' in record && record.result) {
    const benchmark = content.benchmarks.find((b) => b.id === record.cell.benchmark);
    const expected = benchmark ? expectedOf(benchmark, record.inputs.target) : null;
    if (expected) reasons.push(...implausible(record.result, expected));
    reasons.push(...mismeasured(record.result, record.cell.mode, expected ?? { flop_per_item: null, hardware: null }));
  }
  return reasons;
}

const cellIdText = (cell: CellId) => `${cell.benchmark}/${cell.framework}/${cell.target}/${cell.mode}/${cell.profile}`;

export interface HistoryListing<T> {
  entries: { record: T; path: string }[];
  problems: CacheProblem[];
}

/** Every record that a newer one of the same name replaced (history/<name>.<time>.json). */
export async function listHistory<T extends StoredRecord>(cache: Cache, kind: RecordKind<T>, verify?: Verify): Promise<HistoryListing<T>> {
  const history = openCache(cache.historyDir, [CHECKS_FOLDER]);
  const { names, strays } = await scan(history.dir, history.exclude);
  const listing: HistoryListing<T> = { entries: [], problems: strays };
  for (const name of names) {
    const replaced = name.slice(0, name.lastIndexOf('.'));
    const parsed = await readRecord(history, name, { schema: kind.schema, nameOf: (record) => (kind.nameOf(record) === replaced ? name : kind.nameOf(record)) });
    if (parsed === undefined) continue;
    if (isProblem(parsed)) listing.problems.push(parsed);
    else listing.entries.push({ record: verify ? verified(history, name, parsed, verify, listing.problems) : parsed, path: pathOf(history.dir, name) });
  }
  return listing;
}

export const listCellHistory = (cache: Cache, verify?: Verify) => listHistory(cache, cellEntries, verify);

/**
 * Stores a record. One that is not ok never replaces an ok record of the same name (key).
 * Returns whether it was written.
 */
export async function writeRecord<T extends { status: string; finished_at: string }>(cache: Cache, kind: RecordKind<T>, record: T): Promise<boolean> {
  const checked = kind.schema.parse(record);
  const name = kind.nameOf(checked);
  const text = await cache.store.get(name);
  if (text !== undefined) {
    const existing = parseStored(cache, name, text, kind.schema, kind.nameOf);
    if (checked.status !== 'ok' && !isProblem(existing) && existing.status === 'ok') return false;
    // The record it replaces is kept, under the time it finished (a corrupt one under this time).
    const when = (isProblem(existing) ? new Date().toISOString() : existing.finished_at).replace(/[^0-9]/g, '').slice(0, 17);
    await writeFileAtomic(pathOf(cache.historyDir, `${name}.${when}`), text);
  }
  await cache.store.set(name, serialiseEntry(checked));
  return true;
}

export const writeEntry = (cache: Cache, entry: CacheEntry) => writeRecord(cache, cellEntries, entry);

export { isProblem };

/** cache/equivalence/<benchmark>/<framework>.<key>.json */
export const checkName = (check: CheckId, key: string) => `${check.benchmark}/${check.framework}.${key}`;

const checkEntries: RecordKind<CheckEntry> = { schema: CheckEntrySchema, nameOf: (entry) => checkName(entry.check, entry.key) };

/** The stores of both kinds of job under one cache folder. */
export interface JobCache {
  cells: Cache;
  checks: Cache;
}

export function openJobCache(dir: string): JobCache {
  return {
    cells: openCache(dir),
    checks: openCache(join(dir, CHECKS_FOLDER), [], join(dir, HISTORY_FOLDER, CHECKS_FOLDER)),
  };
}

/** The project's cache, cache/ under its root. */
export const projectCache = (root: string) => openJobCache(join(root, CACHE_DIR));

/** Every record of both kinds, verified against `content` when given (verifyRecord); corrupt or
 * stray files are reported by path and left out. */
export async function listStored(cache: JobCache, content?: Pick<Content, 'benchmarks'>): Promise<{ stored: Stored; problems: CacheProblem[] }> {
  const verify = content && ((record: StoredRecord) => verifyRecord(record, content));
  const [cells, checks] = await Promise.all([listRecords(cache.cells, cellEntries, verify), listRecords(cache.checks, checkEntries, verify)]);
  return { stored: { cells: cells.entries, checks: checks.entries }, problems: [...cells.problems, ...checks.problems] };
}

/**
 * Makes sure every folder of the cache can be written, before any job runs: a measurement is never
 * taken only to find it cannot be kept. Throws a UserError naming the folder and the cause.
 */
export async function checkWritable(cache: JobCache): Promise<void> {
  for (const dir of [cache.cells.dir, cache.checks.dir, cache.cells.historyDir, cache.checks.historyDir]) {
    const probe = join(dir, `.write-test.${process.pid}`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(probe, 'x'.repeat(4096));
      await rm(probe, { force: true });
    } catch (error) {
      await rm(probe, { force: true }).catch(() => {});
      throw new UserError(`cannot write to ${shownPath(dir)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was run. ` +
        'Make the cache folder writable (or free space) and build again.');
    }
  }
}

/** The cache record of a job's classified outcome. */
export function recordOf(job: PlannedCell, outcome: CellOutcome): CacheEntry;
export function recordOf(job: PlannedCheck, outcome: CheckOutcome): CheckEntry;
export function recordOf(job: PlannedJob, outcome: CellOutcome | CheckOutcome): CacheEntry | CheckEntry {
  const { status, error, started_at, finished_at, wall_s, command } = outcome;
  const common = { entry_version: CACHE_ENTRY_VERSION as typeof CACHE_ENTRY_VERSION, key: job.key!, inputs: job.inputs!, status, error, started_at, finished_at, wall_s, command };
  if (job.kind === 'cell') return { ...common, cell: job.cell, result: (outcome as CellOutcome).result };
  const result = (outcome as CheckOutcome).result;
  const { protocol: _protocol, event: _event, ...checked } = result ?? { protocol: null, event: null };
  return { ...common, check: { benchmark: job.cell.benchmark, framework: job.cell.framework }, outcome: result ? (checked as CheckEntry['outcome']) : null };
}

/** Stores a job's outcome; one that is not ok never replaces an ok record of the same key.
 * Returns whether it was written. */
export function storeOutcome(cache: JobCache, job: PlannedJob, outcome: CellOutcome | CheckOutcome): Promise<boolean> {
  return job.kind === 'cell'
    ? writeRecord(cache.cells, cellEntries, recordOf(job, outcome as CellOutcome))
    : writeRecord(cache.checks, checkEntries, recordOf(job, outcome as CheckOutcome));
}

export const writeCheck = (cache: Cache, entry: CheckEntry) => writeRecord(cache, checkEntries, entry);
