// The result cache: keyv over a store that keeps one pretty-printed JSON file per job and key under
// cache/, so a pull request shows each new result as one small, readable file. Cells live in
// cache/<benchmark>/<framework>/, checks in cache/equivalence/, replaced records in cache/history/.
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import Keyv from 'keyv';
import { z } from 'zod';
import { CACHE_DIR, writeFileAtomic } from './files.ts';
import { canonicalJson } from './key.ts';
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

/** A keyv store of text files: key "a/b" is the file <dir>/a/b.json; `exclude` names top-level
 * folders the listing skips (another store's). */
function fileStore(dir: string, exclude: string[]) {
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
    async *iterator(): AsyncGenerator<[string, StoredText]> {
      let files: string[] = [];
      try {
        files = (await readdir(dir, { recursive: true }))
          .filter((file) => file.endsWith('.json') && !exclude.includes(file.split(/[\\/]/)[0]))
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      for (const file of files) {
        const name = file.slice(0, -'.json'.length).split('\\').join('/');
        const stored = await read(name);
        if (stored) yield [name, stored];
      }
    },
  };
}

export interface Cache {
  dir: string;
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
  const store = new Keyv<string>({ store: fileStore(dir, exclude), serialization: false });
  return { dir, store, historyDir };
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
  const path = relative(process.cwd(), pathOf(cache.dir, name)) || pathOf(cache.dir, name);
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

/** Every valid record of a store; invalid or corrupt files are reported by path and left out, never rendered. */
export async function listRecords<T extends { status: string; finished_at: string }>(cache: Cache, kind: RecordKind<T>): Promise<{ entries: T[]; problems: CacheProblem[] }> {
  const listing: { entries: T[]; problems: CacheProblem[] } = { entries: [], problems: [] };
  for await (const [name, text] of cache.store.iterator()) {
    if (typeof name !== 'string' || typeof text !== 'string') continue;
    const parsed = parseStored(cache, name, text, kind.schema, kind.nameOf);
    if (isProblem(parsed)) listing.problems.push(parsed);
    else listing.entries.push(parsed);
  }
  return listing;
}

export interface HistoryListing<T> {
  entries: { record: T; path: string }[];
  problems: CacheProblem[];
}

/** Every record that a newer one of the same name replaced (history/<name>.<time>.json). */
export async function listHistory<T extends { status: string; finished_at: string }>(cache: Cache, kind: RecordKind<T>): Promise<HistoryListing<T>> {
  const history = openCache(cache.historyDir, [CHECKS_FOLDER]);
  const listing: HistoryListing<T> = { entries: [], problems: [] };
  for await (const [name, text] of history.store.iterator()) {
    if (typeof name !== 'string' || typeof text !== 'string') continue;
    const replaced = name.slice(0, name.lastIndexOf('.'));
    const parsed = parseStored(history, name, text, kind.schema, (record) => (kind.nameOf(record) === replaced ? name : kind.nameOf(record)));
    if (isProblem(parsed)) listing.problems.push(parsed);
    else listing.entries.push({ record: parsed, path: pathOf(history.dir, name) });
  }
  return listing;
}

export const listCellHistory = (cache: Cache) => listHistory(cache, cellEntries);

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

/** Every valid record of both kinds; invalid or corrupt files are reported by path and left out. */
export async function listStored(cache: JobCache): Promise<{ stored: Stored; problems: CacheProblem[] }> {
  const [cells, checks] = await Promise.all([listRecords(cache.cells, cellEntries), listRecords(cache.checks, checkEntries)]);
  return { stored: { cells: cells.entries, checks: checks.entries }, problems: [...cells.problems, ...checks.problems] };
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
