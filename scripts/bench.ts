// `npm run bench`: the pipeline's own figures (not a timed test; these machines are noisy).
// Prints the time of the plan step over the whole declared matrix, a no-op build (everything
// cached and dist/ current, so no astro build) and the same build with a forced render, the wall
// time of every cached cell of the cpu target, the Rosetta checks (largest difference from the
// NumPy reference, and their own time), and the length of every runner.
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { runnerPath } from '../src/pipeline/key.ts';
import { plan } from '../src/pipeline/plan.ts';
import { median } from '../src/pipeline/stats.ts';
import { openProject } from '../src/pipeline/project.ts';

const root = resolve('.');
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    await fn();
    samples.push((performance.now() - start) / 1000);
  }
  return median(samples);
}

const project = await openProject(root, console.error);
let cells = 0;
const planSeconds = await timeIt(async () => {
  const all = await Promise.all((['full', 'cpu', 'smoke'] as const).map((profile) => plan(root, project.content, project.stored, { profile })));
  cells = all.flat().length;
});
console.log(`plan of the whole declared matrix (${cells} cells and checks, all profiles): ${(planSeconds * 1000).toFixed(0)} ms (median of ${repeats})`);

const env = { ASTRO_TELEMETRY_DISABLED: '1' };
// --render-only: a build that runs nothing, i.e. a no-op build even while some cells are missing.
// One untimed build first, so that dist/ is the site of these inputs (it renders only if not).
const noop = ['scripts/build.ts', '--render-only'];
await execa(process.execPath, noop, { env });
let rendered = 0;
const current = await timeIt(async () => {
  const { all } = await execa(process.execPath, noop, { env, all: true });
  if (!all.includes('site is current')) rendered += 1;
});
const viaNpm = await timeIt(() => execa('npm', ['run', '--silent', 'build', '--', '--render-only'], { env }));
const forced = await timeIt(() => execa(process.execPath, [...noop, '--force-render'], { env }));
console.log(
  `no-op build, site current (--render-only: plan, datasets, the site's fingerprint; no astro build): ${current.toFixed(2)} s with node scripts/build.ts, ` +
    `${viaNpm.toFixed(2)} s with npm run build (medians of ${repeats})` +
    (rendered ? `; ${rendered} of the ${repeats} rendered anyway: dist/ was not current (see its log)` : ''),
);
console.log(`the same build with --force-render (astro build as well): ${forced.toFixed(2)} s (median of ${repeats})`);

console.log('\ncached cells of the cpu target (wall time of the whole runner process, and its metric):');
const entries = project.stored.cells.filter((e) => e.cell.target === 'cpu' && e.status === 'ok').sort((a, b) => (a.cell.benchmark + a.cell.framework + a.cell.mode).localeCompare(b.cell.benchmark + b.cell.framework + b.cell.mode));
for (const e of entries) {
  const m = e.result!.metric;
  console.log(`  ${`${e.cell.benchmark}/${e.cell.framework}/${e.cell.mode}/${e.cell.profile}`.padEnd(44)} ${e.wall_s.toFixed(1).padStart(6)} s wall   ${m.name} median ${m.median.toPrecision(4)} ${m.unit} [${m.min.toPrecision(4)}-${m.max.toPrecision(4)}]`);
}

console.log('\nRosetta checks (max |diff| from the NumPy reference relative to the output scale; wall time of the check process):');
const checks = project.stored.checks.filter((e) => e.status === 'ok').sort((a, b) => (a.check.benchmark + a.check.framework).localeCompare(b.check.benchmark + b.check.framework));
for (const e of checks) {
  const o = e.outcome!;
  const diff = o.relative_diff === null ? 'not finite' : o.relative_diff.toExponential(2);
  console.log(`  ${`${e.check.benchmark}/${e.check.framework}`.padEnd(36)} ${o.passed ? 'pass' : 'FAIL'}  ${diff.padStart(9)}  max |diff| ${o.max_abs_diff?.toExponential(2) ?? 'n/a'}  ${e.wall_s.toFixed(1).padStart(5)} s`);
}

console.log('\nrunner length (lines, and lines that are not blank or comments):');
for (const framework of project.content.frameworks) {
  const counts = await Promise.all(framework.implements.map(async (benchmark) => {
    const lines = (await readFile(join(root, runnerPath(framework, benchmark)), 'utf8')).trimEnd().split('\n');
    const code = lines.filter((line) => line.trim() && !line.trim().startsWith('#')).length;
    return `${benchmark} ${lines.length}/${code}`;
  }));
  console.log(`  ${framework.id.padEnd(18)} ${counts.join(', ')}`);
}

// The test suite's time per part, from the report vitest wrote on the last `npm test`
// (vitest.config.ts); the pretest set-up (Debian packages, environments) prints its own times.
const report = await readFile(join(root, '.tmp/test-report.json'), 'utf8').then(JSON.parse, () => null);
if (!report) console.log('\ntest suite: no .tmp/test-report.json yet; run npm test first');
else {
  type FileResult = { name: string; startTime: number; endTime: number; assertionResults: { title: string; duration: number | null }[] };
  const files = (report.testResults as FileResult[]).map((file) => ({ ...file, seconds: (file.endTime - file.startTime) / 1000 }));
  const start = Math.min(...files.map((file) => file.startTime));
  const end = Math.max(...files.map((file) => file.endTime));
  console.log(`\ntest suite, last run ${new Date(start).toISOString()}: ${((end - start) / 1000).toFixed(0)} s from the first file's start to the last one's end, ${report.numPassedTests}/${report.numTotalTests} tests passed; per file (files run in parallel):`);
  for (const file of files.sort((a, b) => b.seconds - a.seconds)) {
    console.log(`  ${file.seconds.toFixed(1).padStart(7)} s  ${file.name.slice(root.length + 1)} (${file.assertionResults.length} tests)`);
    if (file.seconds > 30) for (const test of file.assertionResults) console.log(`  ${((test.duration ?? 0) / 1000).toFixed(1).padStart(15)} s  ${test.title}`);
  }
}
