// `npm run diff`: compares the result datasets of two revisions, as Markdown for a pull request.
// `npm run diff -- --help` lists the options.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { datasetsAt, defaultBase, diffResults, toMarkdown } from '../src/pipeline/diff.ts';
import { UserError } from '../src/pipeline/errors.ts';
import { oneOf, reportError } from '../src/pipeline/project.ts';

const HELP = `Usage: npm run diff -- [options]

Compares the result datasets (content/results/) and Rosetta checks of two revisions, cell by cell,
and prints Markdown ready to paste as a pull-request comment: a summary line, what needs attention
first (accuracy beyond its band, ok -> failed, a check that stops passing), then per benchmark the
cells that changed with the ratio of medians, its 95% bootstrap interval and a verdict.

A change counts only when the ratio differs from 1 by at least 5% and is a discovery at a 5% false
discovery rate (Benjamini-Hochberg over the cells measured again). Results from different
machines, or whose machine calibration moved during the cell or differs by more than 10% between
the two, are "not comparable", never a regression.

Options:
  --base REV              the revision before (default: the merge-base of HEAD with the default branch)
  --head REV              the revision after (default: the working tree)
  --format FORMAT         markdown (default) or json
  --fail-on-regression    exit 1 when a significant regression (or ok -> failed, or a check that
                          stops passing) is found
  --site-url URL          the published report (with its base path): cells link to their pages
  --repository-url URL    the repository's web URL: figures link to their cache entries
  --root DIR              the project folder (default: the current folder)
  -h, --help              show this help`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      format: { type: 'string', default: 'markdown' },
      'fail-on-regression': { type: 'boolean', default: false },
      'site-url': { type: 'string', default: process.env.ROSETTA_SITE },
      'repository-url': { type: 'string' },
      root: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const format = oneOf(['markdown', 'json'], values.format, '--format');
  const root = resolve(values.root);
  const base = values.base ?? (await defaultBase(root));
  const head = values.head ?? null;
  const load = (revision: string | null) =>
    datasetsAt(root, revision).catch((error: Error) => {
      throw new UserError(`cannot read the datasets at ${revision ?? 'the working tree'}: ${error.message.split('\n')[0]}`);
    });
  const diff = diffResults(await load(base), await load(head));
  const labels = { base: `\`${base.slice(0, 12)}\``, head: head === null ? 'the working tree' : `\`${head.slice(0, 12)}\`` };
  const links = { site: values['site-url'], repository: values['repository-url'], baseRevision: base, headRevision: head ?? undefined };
  console.log(format === 'json' ? JSON.stringify({ base, head, ...diff }, null, 2) : toMarkdown(diff, labels, links));

  const failing = diff.counts.regressed + diff.cells.filter((c) => c.attention).length + diff.checks.filter((c) => c.attention).length;
  return values['fail-on-regression'] && failing > 0 ? 1 : 0;
}

// exitCode, not exit(): a large diff written to a pipe must be flushed before the process ends.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error, 'npm run diff');
  },
);
