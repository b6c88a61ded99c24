import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { entryName, historyOf, isProblem, listEntries, openCache, readEntry, verifyRecord, writeEntry } from '../../src/pipeline/cache.ts';
import { writeFileAtomic } from '../../src/pipeline/files.ts';
import type { Cache } from '../../src/pipeline/cache.ts';
import type { Benchmark } from '../../src/pipeline/schemas.ts';
import { CELL, cacheEntry, failedEntry, runnerResult } from './fixtures.ts';

let dir: string;
let cache: Cache;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rosetta-cache-'));
  cache = openCache(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const fileOf = (key: string) => join(dir, `${entryName(CELL, key)}.json`);

describe('cache store', () => {
  test('keeps one pretty-printed JSON file per key, with sorted keys and a final newline', async () => {
    await writeEntry(cache, cacheEntry());
    const text = await readFile(fileOf('a'.repeat(64)), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "cell": {\n');
    const topKeys = Object.keys(JSON.parse(text));
    expect(topKeys).toEqual([...topKeys].sort());
  });

  test('reads back exactly the entry it wrote', async () => {
    await writeEntry(cache, cacheEntry());
    expect(await readEntry(cache, CELL, 'a'.repeat(64))).toEqual(cacheEntry());
  });

  test('an atomic write leaves no temporary file behind, and a failed write keeps the old content', async () => {
    const path = join(dir, 'x', 'file.json');
    await writeFileAtomic(path, 'first');
    await expect(writeFileAtomic(join(path, 'not-a-dir.json'), 'second')).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe('first');
    expect(await readdir(dirname(path))).toEqual(['file.json']);
  });

  test('a corrupt file is reported by its path and treated as missing', async () => {
    await writeEntry(cache, cacheEntry());
    const corrupt = fileOf('d'.repeat(64));
    await mkdir(dirname(corrupt), { recursive: true });
    await writeFile(corrupt, '{"entry_version": 1, "key": "dd');
    const listing = await listEntries(cache);
    expect(listing.entries.map((e) => e.key)).toEqual(['a'.repeat(64)]);
    expect(listing.problems).toHaveLength(1);
    expect(listing.problems[0].path).toContain(`${'d'.repeat(64)}.json`);
    expect(listing.problems[0].message).toMatch(/not valid JSON/);
    const read = await readEntry(cache, CELL, 'd'.repeat(64));
    expect(read && isProblem(read)).toBe(true);
  });

  test('an entry that fails validation is reported with the field at fault and never returned', async () => {
    const entry: Record<string, unknown> = { ...cacheEntry({ key: 'e'.repeat(64) }), status: 'great' };
    await mkdir(dirname(fileOf('e'.repeat(64))), { recursive: true });
    await writeFile(fileOf('e'.repeat(64)), JSON.stringify(entry));
    const listing = await listEntries(cache);
    expect(listing.entries).toEqual([]);
    expect(listing.problems[0].message).toMatch(/status/);
  });

  test('an entry stored under a file name that is not its own key is rejected', async () => {
    await mkdir(dirname(fileOf('f'.repeat(64))), { recursive: true });
    await writeFile(fileOf('f'.repeat(64)), JSON.stringify(cacheEntry()));
    const listing = await listEntries(cache);
    expect(listing.entries).toEqual([]);
    expect(listing.problems[0].message).toMatch(/does not match its file name/);
  });

  test('writeEntry refuses an entry that does not match the schema', async () => {
    await expect(writeEntry(cache, { ...cacheEntry(), key: 'short' })).rejects.toThrow();
    expect((await listEntries(cache)).entries).toEqual([]);
  });

  test('a failure never overwrites an ok entry of the same key', async () => {
    await writeEntry(cache, cacheEntry());
    expect(await writeEntry(cache, failedEntry())).toBe(false);
    const read = await readEntry(cache, CELL, 'a'.repeat(64));
    expect(read && !isProblem(read) && read.status).toBe('ok');
  });

  test('a failure replaces an earlier failure, and an ok result replaces a failure', async () => {
    await writeEntry(cache, failedEntry());
    expect(await writeEntry(cache, failedEntry({ error: { message: 'second', exit_code: 2, stderr_tail: [] } }))).toBe(true);
    let read = await readEntry(cache, CELL, 'a'.repeat(64));
    expect(read && !isProblem(read) && read.error?.message).toBe('second');
    expect(await writeEntry(cache, cacheEntry())).toBe(true);
    read = await readEntry(cache, CELL, 'a'.repeat(64));
    expect(read && !isProblem(read) && read.status).toBe('ok');
  });

  test('an empty or absent cache folder lists nothing', async () => {
    expect(await listEntries(openCache(join(dir, 'absent')))).toEqual({ entries: [], problems: [] });
  });

  test('a file where the cache folder must be is named, by the cells\' and the checks\' store alike', async () => {
    const file = join(dir, 'cache');
    await writeFile(file, 'not a folder');
    for (const store of [openCache(file), openCache(join(file, 'equivalence'), [])]) {
      await expect(listEntries(store)).rejects.toThrow(`the cache folder ${relative(process.cwd(), file)} cannot be read (ENOTDIR)`);
    }
  });
});

describe('cache history', () => {
  test('a record replaced by a new one of the same key is kept under history/, by the time it finished', async () => {
    await writeEntry(cache, cacheEntry());
    const newer = cacheEntry({ finished_at: '2026-12-01T10:00:02.000Z', wall_s: 3 });
    expect(await writeEntry(cache, newer)).toBe(true);
    expect(await readEntry(cache, CELL, 'a'.repeat(64))).toEqual(newer);
    const kept = await historyOf(cache, entryName(CELL, 'a'.repeat(64)));
    expect(kept.map((path) => path.split('/').at(-1))).toEqual([`cpu.fp32.smoke.${'a'.repeat(64)}.20261124100002000.json`]);
    expect(JSON.parse(await readFile(kept[0], 'utf8'))).toEqual(cacheEntry());
    // History is not a current entry: the listing has the newer one only.
    expect((await listEntries(cache)).entries).toEqual([newer]);
  });

  test('a failure does not replace an ok record, and nothing goes to history', async () => {
    await writeEntry(cache, cacheEntry());
    expect(await writeEntry(cache, failedEntry({ finished_at: '2026-12-01T10:00:02.000Z' }))).toBe(false);
    expect(await historyOf(cache, entryName(CELL, 'a'.repeat(64)))).toEqual([]);
  });
});

describe('verifying a stored record', () => {
  // runnerResult: 100 images/s of 375 MFLOP, 37.5 GFLOP/s, against a CPU peak recorded with it.
  const stored = async (fp32: number) => {
    const benchmark = JSON.parse(await readFile('content/benchmarks/cnn-cifar10.json', 'utf8')) as Benchmark;
    const result = runnerResult();
    result.environment = { ...result.environment, cpu_peak_flops: { fp32, basis: 'fixture', ceiling: true } };
    return verifyRecord(cacheEntry({ result }), { benchmarks: [benchmark] });
  };

  test('a result above the peak it is measured against cannot stand, as at the run', async () => {
    expect(await stored(30e9)).toContain('its fastest repeat implies 37.5 GFLOP/s, above the fp32 peak of 30 GFLOP/s (recorded with the result: fixture): a timing bug, or not fp32');
    expect((await stored(40e9)).filter((reason) => reason.includes('peak'))).toEqual([]);
  });
});
