// `npm run build`: plan the matrix, run the missing cells that can run here, write the result
// datasets, render the report with Astro. `npm run build -- --help` lists the options.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/pipeline/cache.ts';
import { datasetsAt, diffResults } from '../src/pipeline/diff.ts';
import { UserError } from '../src/pipeline/errors.ts';
import { checkTarget, planChecks, runChecks } from '../src/pipeline/equivalence.ts';
import type { PlannedCheck } from '../src/pipeline/equivalence.ts';
import { executeCells } from '../src/pipeline/execute.ts';
import { plan } from '../src/pipeline/matrix.ts';
import type { Filters, PlannedCell } from '../src/pipeline/matrix.ts';
import { acquireLock } from '../src/pipeline/lock.ts';
import { createReporter } from '../src/pipeline/progress.ts';
import { checkFilters, oneOf, openProject, optionList as list, refreshDatasets, reportError } from '../src/pipeline/project.ts';
import { ModeSchema, ProfileSchema } from '../src/pipeline/schemas.ts';

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
  --profile PROFILE      run every target at this profile (full, cpu, smoke) instead of its own
  --remeasure            run the selected cells again even where cached: the new result becomes
                         current, the one it replaces is kept under cache/history/
  --strict               stop at the first cell that is not ok, and exit non-zero
  --render-only          run nothing: write the datasets from the cache and render
  --compare REV          add a "What changed since REV" section to the report: the results diff
                         (npm run diff) of REV's datasets against the ones this build writes
  --no-render            do everything but the Astro build
  --root DIR             the project folder (default: the current folder)
  -h, --help             show this help

The cells of one benchmark run in interleaved rounds: each runner is started and warmed up in turn,
then every round gives each cell one timed repeat, one process working at a time, so a change of
machine load hits all frameworks alike. One build at a time per tree: a second build or ingest
refuses to start while one runs (a killed build's lock is taken over).

The Rosetta checks follow --benchmark and --framework; --target without the cpu target or --mode
without fp32 leaves them out.

Exit codes: 0 done (failed cells are shown in the report), 1 a cell failed or a check did not pass
under --strict, or the content is invalid, 130 interrupted (completed cells are kept in the cache).`;

/** One line of --plan for a cell or a check: its status, and why it must run or cannot. */
function planLine(planned: PlannedCell | PlannedCheck): string {
  const why =
    planned.status === 'missing'
      ? planned.current
        ? `last run ${planned.current.status}`
        : planned.previous
          ? `inputs changed: ${planned.changed.join(', ')}`
          : 'never run'
      : (planned.reason ?? '');
  const where = 'runnable' in planned && planned.status === 'missing' && !planned.runnable ? ' (not runnable here)' : '';
  return `${planned.status.padEnd(11)} ${'check' in planned ? 'check ' : ''}${planned.id}${where}${why ? `  ${why}` : ''}`;
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
      profile: { type: 'string' },
      strict: { type: 'boolean', default: false },
      remeasure: { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
      compare: { type: 'string' },
      'no-render': { type: 'boolean', default: false },
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
  const filters: Filters = {
    benchmarks: list(values.benchmark),
    frameworks: list(values.framework),
    targets: list(values.target),
    modes: list(values.mode)?.map((mode) => oneOf(ModeSchema.options, mode, '--mode')),
    profile: values.profile === undefined ? undefined : oneOf(ProfileSchema.options, values.profile, '--profile'),
  };

  if (!values.plan) acquireLock(root, 'npm run build', reporter.log);
  const project = await openProject(root, reporter.log);
  const { content, cache, listing } = project;
  checkFilters(content, filters);
  const cells = await plan(root, content, listing.entries, filters);
  // The checks run on this CPU in fp32: only when the filters keep both.
  const cpu = checkTarget(content);
  const checksWanted = !!cpu && (!filters.targets?.length || filters.targets.includes(cpu.id)) && (!filters.modes?.length || filters.modes.includes('fp32'));
  const checks = checksWanted ? await planChecks(root, content, project.checkEntries, filters) : [];

  if (values.plan) {
    for (const cell of cells) console.log(planLine(cell));
    for (const check of checks) console.log(planLine(check));
    const count = <T extends { status: string }>(list: T[], status: string) => list.filter((item) => item.status === status).length;
    console.log(`\n${cells.length} cells: ${count(cells, 'cached')} cached, ${count(cells, 'missing')} missing, ${count(cells, 'unsupported')} unsupported, ${count(cells, 'unavailable')} unavailable`);
    console.log(`${checks.length} checks: ${count(checks, 'cached')} cached, ${count(checks, 'missing')} missing`);
    return 0;
  }

  // Handlers stay installed (not `once`): execa's exit hook re-raises a signal nobody else listens
  // to, which would kill the build before it records what completed. A second signal exits at once.
  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) process.exit(130);
    reporter.log(`${signal}: stopping the running cell; completed cells stay in the cache (again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const missing = cells.filter((cell) => cell.status === 'missing' || (values.remeasure && cell.status === 'cached'));
  const toRun = values['render-only'] ? [] : missing.filter((cell) => cell.runnable);
  const elsewhere = missing.filter((cell) => !cell.runnable).length;
  reporter.log(
    `plan: ${cells.length} cells, ${cells.filter((c) => c.status === 'cached').length} cached, ${toRun.length} to run here` +
      (values.remeasure ? ' (--remeasure: the cached ones again)' : '') +
      (elsewhere ? `, ${elsewhere} need a machine this one is not (shown as not measured)` : ''),
  );
  const summary = await executeCells(toRun, { root, content, cache, reporter, strict: values.strict, signal: controller.signal });

  const checksToRun = values['render-only'] || summary.interrupted || summary.stoppedEarly ? [] : checks.filter((check) => check.status === 'missing');
  reporter.log(`checks: ${checks.length} Rosetta checks, ${checks.filter((c) => c.status === 'cached').length} cached, ${checksToRun.length} to run here`);
  const checked = await runChecks(checksToRun, { root, content, cache: project.checks, reporter, signal: controller.signal });

  // The datasets always cover the whole declared matrix, whatever the filters ran.
  const written = await refreshDatasets(project, filters.profile);
  reporter.log(written.length ? `datasets written: ${written.map((p) => p.slice(root.length + 1)).join(', ')}` : 'datasets unchanged');

  if (summary.interrupted || checked.interrupted) return 130;
  const failures = summary.executed.filter(({ outcome }) => outcome.status !== 'ok');
  if (failures.length) reporter.log(`${failures.length} cell(s) did not succeed; the report shows them with their reasons`);
  const notPassed = checked.ran.filter((entry) => entry.status !== 'ok' || !entry.outcome?.passed);
  if (notPassed.length) reporter.log(`${notPassed.length} Rosetta check(s) did not pass; the report shows them with their numbers`);
  if (values.strict && (failures.length || notPassed.length)) return 1;

  if (!values['no-render']) {
    if (values.compare !== undefined) process.env.ROSETTA_COMPARE_FILE = await writeComparison(root, values.compare);
    process.env.ASTRO_TELEMETRY_DISABLED = '1';
    // The site turns its warnings (notes citing missing, failed or stale results) into errors.
    if (values.strict) process.env.ROSETTA_STRICT = '1';
    const { build } = await import('astro');
    await build({ root });
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, 'npm run build')),
);
