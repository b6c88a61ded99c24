// One build at a time per tree: `npm run build` and `npm run ingest` hold <root>/.rosetta.lock while
// they run, so two builds never measure cells at the same time or write the same files. The lock of
// a build that was killed (its process is gone) is detected and taken over.
import { hostname } from 'node:os';
import { openSync, readFileSync, renameSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.ts';

export const LOCK_FILE = '.rosetta.lock';

interface Holder {
  pid: number;
  host: string;
  command: string;
  started_at: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function readHolder(path: string): Holder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return Number.isInteger(holder.pid) ? holder : null;
  } catch {
    return null; // half-written by a process killed while taking it: nobody holds it
  }
}

/**
 * Takes the tree's lock for `command`, or throws a UserError naming the build that holds it.
 * Returns the function that releases it (also run at exit). `log` hears about a lock taken over.
 */
export function acquireLock(root: string, command: string, log: (line: string) => void): () => void {
  const path = join(root, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), command, started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      const release = () => {
        if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (holder && holder.host !== me.host) {
      throw new UserError(`${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.started_at}) holds ${path}; ` +
        'wait for it to finish, or delete the file if that build is gone');
    }
    if (holder && alive(holder.pid)) {
      throw new UserError(`another ${holder.command} is running on this tree (pid ${holder.pid}, since ${holder.started_at}); ` +
        'wait for it to finish: one build at a time keeps timings honest');
    }
    // The holder is gone: move its lock aside (one process wins the rename) and try again.
    try {
      renameSync(path, `${path}.${process.pid}.stale`);
      rmSync(`${path}.${process.pid}.stale`, { force: true });
      log(`took over the lock of ${holder ? `${holder.command} (pid ${holder.pid}, since ${holder.started_at})` : 'a build'}, which is no longer running`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new UserError(`could not take the lock ${path}; another build keeps taking it`);
}
