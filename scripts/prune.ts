// `npm run prune`: lists the superseded results (replaced by a re-measure, or measured under inputs
// that have changed since) beyond the newest few of each cell; `--apply` removes them.
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { entryName, listCellHistory } from '../src/pipeline/cache.ts';
import { UserError } from '../src/pipeline/errors.ts';
import { acquireLock } from '../src/pipeline/lock.ts';
import { cellId, cellsOf, plan } from '../src/pipeline/plan.ts';
import { openProject, refreshDatasets, reportError } from '../src/pipeline/project.ts';
import type { CacheEntry } from '../src/pipeline/schemas.ts';

const HELP = `Usage: npm run prune -- [--keep N] [--apply]

Superseded results stay in the cache as each cell's history: those a re-measure replaced (under
cache/history/) and those measured under inputs that have changed since (under older keys). This
lists, per cell, the superseded results beyond the N newest, and with --apply removes them and
rewrites the datasets. The result each cell shows now is never removed.

Options:
  --keep N     superseded results to keep per cell, newest first (default 3)
  --apply      remove them (without it, only list them)
  --root DIR   the project folder (default: the current folder)
  -h, --help   show this help`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'string', default: '3' },
      apply: { type: 'boolean', default: false },
      root: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const keep = Number(values.keep);
  if (!Number.isInteger(keep) || keep < 0) throw new UserError(`--keep must be a whole number, 0 or more, not "${values.keep}"`);
  const root = resolve(values.root);
  if (values.apply) acquireLock(root, 'npm run prune', console.error);
  const project = await openProject(root, console.error);
  const { content, cache, stored } = project;

  // The entry each cell shows now, at every profile, is never superseded.
  const planned = cellsOf((await Promise.all((['full', 'cpu', 'smoke'] as const).map((profile) => plan(root, content, stored, { profile })))).flat());
  const shown = new Set(planned.flatMap((cell) => (cell.current ? [cell.current] : [])).concat(planned.flatMap((cell) => (cell.status === 'missing' && cell.previous ? [cell.previous] : []))));
  const superseded = new Map<string, { entry: CacheEntry; path: string }[]>();
  const add = (entry: CacheEntry, path: string) => superseded.set(cellId(entry.cell), [...(superseded.get(cellId(entry.cell)) ?? []), { entry, path }]);
  for (const entry of stored.cells) if (!shown.has(entry)) add(entry, join(cache.cells.dir, `${entryName(entry.cell, entry.key)}.json`));
  for (const { record, path } of (await listCellHistory(cache.cells)).entries) add(record, path);

  const doomed = [...superseded.values()].flatMap((list) => list.sort((a, b) => b.entry.finished_at.localeCompare(a.entry.finished_at)).slice(keep));
  for (const { entry, path } of doomed) console.log(`${values.apply ? 'removing' : 'would remove'} ${relative(root, path)} (${entry.status}, ${entry.finished_at})`);
  if (!values.apply) {
    console.log(`${doomed.length} superseded result(s) beyond the ${keep} newest of each cell; run with --apply to remove them`);
    return 0;
  }
  for (const { path } of doomed) await rm(path, { force: true });
  const written = await refreshDatasets(project);
  console.log(`removed ${doomed.length} superseded result(s)${written.length ? '; datasets rewritten' : ''}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, 'npm run prune')),
);
