// `npm run ingest -- BUNDLE.json ...`: stores the results an executor brought back, refusing those
// whose inputs changed since the plan, then rewrites the datasets.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../src/pipeline/errors.ts';
import { acquireLock } from '../src/pipeline/lock.ts';
import { plan } from '../src/pipeline/plan.ts';
import { ingestBundle } from '../src/pipeline/offline.ts';
import { openProject, refreshDatasets, reportError } from '../src/pipeline/project.ts';

const HELP = `Usage: npm run ingest -- BUNDLE.json [BUNDLE.json ...]

Validates each bundle written by scripts/execute-plan.py and stores its results in cache/, each
entry on its own: a bad entry or bundle is refused with its reason and never loses the others.
A result whose cell inputs changed since its plan was written is refused (the message names the
inputs that changed); a cell that ran with other versions of its pinned packages is stored as
failed, naming them; a failure never replaces an ok result of the same inputs. The datasets in
content/results/ are rewritten. Exit code 1 when anything was refused.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { root: { type: 'string', default: '.' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UserError('give the bundle file(s) to ingest; see --help');
  const root = resolve(values.root);
  acquireLock(root, 'npm run ingest', console.error);
  const project = await openProject(root, console.error);
  const { content, cache, stored } = project;

  let refused = 0;
  let unreadable = 0;
  // Every profile, so a bundle of smoke or cpu cells planned for a GPU target can be checked too.
  const current = (await Promise.all(['full', 'cpu', 'smoke'].map((profile) =>
    plan(root, content, stored, { profile: profile as 'full' | 'cpu' | 'smoke' })))).flat();
  for (const file of positionals) {
    let outcomes;
    try {
      outcomes = await ingestBundle(root, await readBundle(file), current, cache);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      console.error(`error: ${file}: ${error.message}`);
      unreadable += 1;
      continue;
    }
    for (const outcome of outcomes) {
      if (outcome.action === 'refused') {
        refused += 1;
        console.error(`refused ${outcome.id}: ${outcome.reason}`);
      } else if (outcome.action === 'kept-ok') {
        console.log(`kept    ${outcome.id}: an ok result of the same inputs is already stored; its ${outcome.outcome.status} is not`);
      } else {
        console.log(`stored  ${outcome.id}: ${outcome.outcome.status}${outcome.outcome.error ? ` (${outcome.outcome.error.message})` : ''}`);
      }
    }
  }
  const written = await refreshDatasets(project);
  console.log(written.length ? `datasets written: ${written.length}` : 'datasets unchanged');
  if (refused) console.error(`${refused} result(s) refused; plan and execute them again to measure the current inputs`);
  if (unreadable) console.error(`${unreadable} bundle(s) could not be read; nothing of them was stored`);
  return refused || unreadable ? 1 : 0;
}

async function readBundle(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read the bundle: ${(error as Error).message}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, 'npm run ingest')),
);
