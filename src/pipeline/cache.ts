// The result cache: keyv over a store that keeps one pretty-printed JSON file per cell key under
// cache/, so a pull request shows each new result as one small, readable file.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import Keyv from 'keyv';
import { z } from 'zod';
import { canonicalJson } from './key.ts';
import { CacheEntrySchema } from './schemas.ts';
import type { CacheEntry, CellId } from './schemas.ts';

type Stored = { value: string; expires?: number };

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

const NAME = /^[a-z0-9][a-z0-9./-]*$/;

function pathOf(dir: string, name: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new Error(`invalid cache entry name "${name}"`);
  return join(dir, `${name}.json`);
}

/** A keyv store of text files: key "a/b" is the file <dir>/a/b.json. */
function fileStore(dir: string) {
  const read = async (name: string): Promise<Stored | undefined> => {
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
    set: async (name: string, stored: Stored) => {
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
    async *iterator(): AsyncGenerator<[string, Stored]> {
      let files: string[] = [];
      try {
        files = (await readdir(dir, { recursive: true })).filter((file) => file.endsWith('.json')).sort();
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
}

export function openCache(dir: string): Cache {
  const store = new Keyv<string>({ store: fileStore(dir), serialization: false });
  return { dir, store };
}

/** cache/<benchmark>/<framework>/<target>.<mode>.<profile>.<key>.json */
export function entryName(cell: CellId, key: string): string {
  return `${cell.benchmark}/${cell.framework}/${cell.target}.${cell.mode}.${cell.profile}.${key}`;
}

export interface CacheProblem {
  path: string;
  message: string;
}

function parseEntry(cache: Cache, name: string, text: string): CacheEntry | CacheProblem {
  const path = relative(process.cwd(), pathOf(cache.dir, name)) || pathOf(cache.dir, name);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { path, message: `not valid JSON (${(error as Error).message}); treated as missing` };
  }
  const parsed = CacheEntrySchema.safeParse(raw);
  if (!parsed.success) return { path, message: `not a valid cache entry; treated as missing:\n${z.prettifyError(parsed.error)}` };
  if (entryName(parsed.data.cell, parsed.data.key) !== name)
    return { path, message: 'its cell or key does not match its file name; treated as missing' };
  return parsed.data;
}

const isProblem = (value: CacheEntry | CacheProblem): value is CacheProblem => 'message' in value;

export interface CacheListing {
  entries: CacheEntry[];
  problems: CacheProblem[];
}

/** Every valid entry; invalid or corrupt files are reported by path and left out, never rendered. */
export async function listEntries(cache: Cache): Promise<CacheListing> {
  const listing: CacheListing = { entries: [], problems: [] };
  for await (const [name, text] of cache.store.iterator()) {
    if (typeof name !== 'string' || typeof text !== 'string') continue;
    const parsed = parseEntry(cache, name, text);
    if (isProblem(parsed)) listing.problems.push(parsed);
    else listing.entries.push(parsed);
  }
  return listing;
}

export async function readEntry(cache: Cache, cell: CellId, key: string): Promise<CacheEntry | CacheProblem | undefined> {
  const name = entryName(cell, key);
  const text = await cache.store.get(name);
  return text === undefined ? undefined : parseEntry(cache, name, text);
}

/** Keys sorted at every level, two-space indents, final newline: stable diffs in pull requests. */
export function serialiseEntry(entry: CacheEntry): string {
  return `${canonicalJson(entry, 2)}\n`;
}

/**
 * Stores an entry. A result that is not ok never replaces an ok entry of the same key.
 * Returns whether the entry was written.
 */
export async function writeEntry(cache: Cache, entry: CacheEntry): Promise<boolean> {
  const checked = CacheEntrySchema.parse(entry);
  if (checked.status !== 'ok') {
    const existing = await readEntry(cache, checked.cell, checked.key);
    if (existing && !isProblem(existing) && existing.status === 'ok') return false;
  }
  await cache.store.set(entryName(checked.cell, checked.key), serialiseEntry(checked));
  return true;
}

export { isProblem };
