// One build at a time per tree: a second build refuses, naming the first; a killed build's lock is
// taken over.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { acquireLock, LOCK_FILE } from '../../src/pipeline/lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rosetta-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const holder = (pid: number, host = hostname()) => JSON.stringify({ pid, host, command: 'npm run build', started_at: '2026-12-01T10:00:00.000Z' });

describe('the build lock', () => {
  test('a second build refuses while the first holds the lock, naming it; released, it can start', () => {
    const release = acquireLock(dir, 'npm run build', () => {});
    // The holder is this process, alive: a second taker is refused with the holder's pid and time.
    expect(() => acquireLock(dir, 'npm run ingest', () => {})).toThrow(new RegExp(`another npm run build is running on this tree \\(pid ${process.pid}, since`));
    release();
    const again = acquireLock(dir, 'npm run ingest', () => {});
    again();
  });

  test('the lock of a build that is no longer running is taken over, and said so', async () => {
    const gone = await execa('python3', ['-c', 'import os; print(os.getpid())']);
    await writeFile(join(dir, LOCK_FILE), holder(Number(gone.stdout)));
    const lines: string[] = [];
    const release = acquireLock(dir, 'npm run build', (line) => lines.push(line));
    expect(lines.join('\n')).toMatch(new RegExp(`took over the lock of npm run build \\(pid ${gone.stdout}`));
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
  });

  test('a half-written lock (a build killed while taking it) is taken over', async () => {
    await writeFile(join(dir, LOCK_FILE), '{"pid": 12');
    const release = acquireLock(dir, 'npm run build', () => {});
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
  });

  test('a lock held from another host is not taken over: the message says whose it is', async () => {
    await writeFile(join(dir, LOCK_FILE), holder(1, 'other-host'));
    expect(() => acquireLock(dir, 'npm run build', () => {})).toThrow(/npm run build \(pid 1 on other-host, since 2026-12-01T10:00:00.000Z\) holds/);
  });
});
