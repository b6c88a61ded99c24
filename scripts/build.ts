// `npm run build`: plan the matrix, run the missing cells that can run here, write the result
// datasets, render the report with Astro. `npm run build -- --help` lists the options.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { datasetsAt, diffResults } from '../src/pipeline/diff.ts';
import { UserError } from '../src/pipeline/errors.ts';
import { writeFileAtomic } from '../src/pipeline/files.ts';
import { jobLabel, plan } from '../src/pipeline/plan.ts';
import type { Filters, PlannedJob } from '../src/pipeline/plan.ts';
import { runJobs, succeeded } from '../src/pipeline/run.ts';
import { acquireLock } from '../src/pipeline/lock.ts';
import { createReporter } from '../src/pipeline/progress.ts';
import { checkFilters, oneOf, openProject, optionList as list, refreshDatasets, reportError } from '../src/pipeline/project.ts';
import { ModeSchema, ProfileSchema } from '../src/pipeline/schemas.ts';

const KINDS = { cells: 'cell', checks: 'check' } as const;

const HELP = `Usage: npm run build -- [options]

Plans the matrix declared in content/, runs the cells missing from cache/ whose target can be
launched from this machine (by default the cpu target at its cpu profile) and the missing Rosetta
checks (each framework's networks against the NumPy reference, on this CPU), writes the datasets
in content/results/, then renders the report into dist/ with Astro.

Options:
  --plan                 show the plan (cached / missing / why it differs from the cache) and stop
  --benchmark ID         only these benchmarks (repeat the option or separate with commas)
  --framework ID         only these frameworks
  --target ID            only these targets
  --mode MODE            only these modes (fp32, fast)
  --only KIND            only jobs of this kind: cells (timed runs) or checks (the Rosetta
                         checks, e.g. again after a change of runners/lib/equivalence)
  --profile PROFILE      run every target at this profile (full, cpu, smoke) instead of its own;
                         a trial: its results are kept in cache/, the datasets and the report
                         keep showing each target at its own profile
  --concurrency N        how many cells of a slurm target run as concurrent jobs (default: the
                         target's own \`concurrency\`); other targets run one process at a time
  --remeasure            run the selected cells again even where cached: the new result becomes
                         current, the one it replaces is kept under cache/history/ (a cell that
                         timed out under the same inputs is cached too: only this runs it again)
  --strict               stop at the first cell that is not ok or check that does not pass,
                         and exit non-zero
  --render-only          run nothing: write the datasets from the cache and render
  --compare REV          add a "What changed since REV" section to the report: the results diff
                         (npm run diff) of REV's datasets against the ones this build writes
  --no-render            do everything but the Astro build
  --force-render         run the Astro build even when dist/ is current (by default it is skipped
                         when dist/ was built from the same datasets, content, runners, site
                         sources, packages and ROSETTA_* settings; --compare always renders)
  --base PATH            Astro's base path, for a site served under a sub-path (e.g. /rosetta-bench/);
                         by default the config's (/)
  --root DIR             the project folder (default: the current folder)
  -h, --help             show this help

The cells of a slurm target are submitted as concurrent jobs (one cell per job, --exclusive unless
the target says \`"exclusive": false\`), each result stored as its job ends; Ctrl-C cancels every job
the build submitted. The cells of one benchmark on another target run in interleaved rounds: each runner is started and warmed up in turn,
then every round gives each cell one timed repeat, one process working at a time, so a change of
machine load hits all frameworks alike. One build at a time per tree: a second build or ingest
refuses to start while one runs (a killed build's lock is taken over).

The Rosetta checks follow --benchmark and --framework; --target without the cpu target or --mode
without fp32 leaves them out.

Exit codes: 0 done (failed cells are shown in the report), 1 a cell failed or a check did not pass
under --strict, or the content is invalid, 130 interrupted (completed cells are kept in the cache).`;

/** One line of --plan for a cell or a check: its status, and why it must run or cannot. */
function planLine(planned: PlannedJob): string {
  const why =
    planned.status === 'missing'
      ? planned.current
        ? `last run ${planned.current.status}`
        : planned.previous
          ? `inputs changed: ${planned.changed.join(', ')}`
          : 'never run'
      : (planned.reason ?? '');
  const where = planned.status === 'missing' && !planned.runnable ? ' (not runnable here)' : '';
  return `${planned.status.padEnd(11)} ${jobLabel(planned)}${where}${why ? `  ${why}` : ''}`;
}

/** The results diff of REV against the datasets just written, for the report's "What changed"
 * section: written to .tmp/compare.json, whose path the site reads from ROSETTA_COMPARE_FILE. */
async function writeComparison(root: string, revision: string): Promise<string> {
  const before = await datasetsAt(root, revision).catch((error: Error) => {
    throw new UserError(`--compare ${revision}: ${error.message.split('\n')[0]}`);
  });
  const diff = diffResults(before, await datasetsAt(root, null));
  const path = join(root, '.tmp', 'compare.json');
  await writeFileAtomic(path, `${JSON.stringify({ base: revision, head: 'this build', ...diff }, null, 2)}\n`);
  return path;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      plan: { type: 'boolean', default: false },
      benchmark: { type: 'string', multiple: true },
      framework: { type: 'string', multiple: true },
      target: { type: 'string', multiple: true },
      mode: { type: 'string', multiple: true },
      only: { type: 'string' },
      profile: { type: 'string' },
      concurrency: { type: 'string' },
      strict: { type: 'boolean', default: false },
      remeasure: { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
      compare: { type: 'string' },
      'no-render': { type: 'boolean', default: false },
      'force-render': { type: 'boolean', default: false },
      base: { type: 'string' },
      root: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const root = resolve(values.root);
  const reporter = createReporter();
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw new UserError('--concurrency must be a whole number of at least 1');
  const filters: Filters = {
    benchmarks: list(values.benchmark),
    frameworks: list(values.framework),
    targets: list(values.target),
    modes: list(values.mode)?.map((mode) => oneOf(ModeSchema.options, mode, '--mode')),
    profile: values.profile === undefined ? undefined : oneOf(ProfileSchema.options, values.profile, '--profile'),
    kinds: values.only === undefined ? undefined : [KINDS[oneOf(['cells', 'checks'] as const, values.only, '--only')]],
  };

  if (!values.plan) acquireLock(root, 'npm run build', reporter.log);
  const project = await openProject(root, reporter.log);
  const { content, cache } = project;
  checkFilters(content, filters);
  const jobs = await plan(root, content, project.stored, filters);
  const count = (kind: PlannedJob['kind'], status?: string) => jobs.filter((job) => job.kind === kind && (!status || job.status === status)).length;

  if (values.plan) {
    for (const job of jobs) console.log(planLine(job));
    console.log(`\n${count('cell')} cells: ${count('cell', 'cached')} cached, ${count('cell', 'missing')} missing, ${count('cell', 'unsupported')} unsupported, ${count('cell', 'unavailable')} unavailable`);
    console.log(`${count('check')} checks: ${count('check', 'cached')} cached, ${count('check', 'missing')} missing`);
    return 0;
  }

  // Handlers stay installed (not `once`): execa's exit hook re-raises a signal nobody else listens
  // to, which would kill the build before it records what completed. A second signal exits at once.
  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) process.exit(130);
    reporter.log(`${signal}: stopping the running job; completed ones stay in the cache (again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const missing = jobs.filter((job) => job.status === 'missing' || (values.remeasure && job.kind === 'cell' && job.status === 'cached'));
  const toRun = values['render-only'] ? [] : missing.filter((job) => job.runnable);
  const elsewhere = missing.filter((job) => !job.runnable).length;
  const cellsToRun = toRun.filter((job) => job.kind === 'cell').length;
  reporter.log(
    `plan: ${count('cell')} cells, ${count('cell', 'cached')} cached, ${cellsToRun} to run here` +
      (values.remeasure ? ' (--remeasure: the cached ones again)' : '') +
      (elsewhere ? `, ${elsewhere} need a machine this one is not (shown as not measured)` : '') +
      `; checks: ${count('check')} Rosetta checks, ${count('check', 'cached')} cached, ${toRun.length - cellsToRun} to run here`,
  );
  const summary = await runJobs(toRun, { root, content, cache, reporter, strict: values.strict, signal: controller.signal, concurrency });

  // The datasets always cover the whole declared matrix at each target's own profile, whatever the
  // filters ran: a trial at another profile never changes what the report shows.
  const written = await refreshDatasets(project);
  if (filters.profile) reporter.log(`--profile ${filters.profile}: its results are kept in cache/; the report shows each target at its own profile`);
  reporter.log(written.length ? `datasets written: ${written.map((p) => p.slice(root.length + 1)).join(', ')}` : 'datasets unchanged');

  if (summary.unsaved.length) {
    reporter.log(`${summary.unsaved.length} result(s) could not be written to cache/ and are kept at: ${summary.unsaved.join(', ')}`);
    reporter.log('make cache/ writable (or free space), then move them to the same paths under cache/');
  }
  if (summary.interrupted) return 130;
  if (summary.unsaved.length) return 1;
  const failures = summary.executed.filter((executed) => !succeeded(executed));
  const failedCells = failures.filter(({ job }) => job.kind === 'cell').length;
  if (failedCells) reporter.log(`${failedCells} cell(s) did not succeed; the report shows them with their reasons`);
  if (failures.length > failedCells) reporter.log(`${failures.length - failedCells} Rosetta check(s) did not pass; the report shows them with their numbers`);
  if (values.strict && failures.length) return 1;

  if (!values['no-render']) {
    if (values.compare !== undefined) process.env.ROSETTA_COMPARE_FILE = await writeComparison(root, values.compare);
    process.env.ASTRO_TELEMETRY_DISABLED = '1';
    // The site turns its warnings (notes citing missing, failed or stale results) into errors.
    if (values.strict) process.env.ROSETTA_STRICT = '1';
    // Astro is skipped when dist/ was built from the same datasets, sources and settings.
    const { renderSite } = await import('../src/pipeline/site.ts');
    const force = values['force-render'] ? '--force-render' : values.compare !== undefined ? `--compare ${values.compare}: a new comparison` : undefined;
    await renderSite(root, { force, log: reporter.log, base: values.base });
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, 'npm run build')),
);
