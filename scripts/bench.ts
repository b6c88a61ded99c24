// `npm run bench`: the pipeline's own figures (not a timed test; these machines are noisy).
// Prints the time of the plan step over the whole declared matrix, a no-op build (everything
// cached) against `astro build` alone, the wall time of every cached cell of the cpu target, the
// Rosetta checks (largest difference from the NumPy reference, and their own time), and the length
// of every runner.
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { runnerPath } from '../src/pipeline/key.ts';
import { plan } from '../src/pipeline/matrix.ts';
import { openProject } from '../src/pipeline/project.ts';

const root = resolve('.');
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

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
  const all = await Promise.all((['full', 'cpu', 'smoke'] as const).map((profile) => plan(root, project.content, project.listing.entries, { profile })));
  cells = all.flat().length;
});
console.log(`plan of the whole declared matrix (${cells} cells, all profiles): ${(planSeconds * 1000).toFixed(0)} ms (median of ${repeats})`);

const env = { ASTRO_TELEMETRY_DISABLED: '1' };
// --render-only: a build that runs nothing, i.e. a no-op build even while some cells are missing.
const build = await timeIt(() => execa(process.execPath, ['scripts/build.ts', '--render-only'], { env }));
const astro = await timeIt(() => execa('npx', ['astro', 'build'], { env }));
console.log(`no-op npm run build (--render-only: plan, datasets, astro build): ${build.toFixed(2)} s; astro build alone: ${astro.toFixed(2)} s (medians of ${repeats})`);

console.log('\ncached cells of the cpu target (wall time of the whole runner process, and its metric):');
const entries = project.listing.entries.filter((e) => e.cell.target === 'cpu' && e.status === 'ok').sort((a, b) => (a.cell.benchmark + a.cell.framework + a.cell.mode).localeCompare(b.cell.benchmark + b.cell.framework + b.cell.mode));
for (const e of entries) {
  const m = e.result!.metric;
  console.log(`  ${`${e.cell.benchmark}/${e.cell.framework}/${e.cell.mode}/${e.cell.profile}`.padEnd(44)} ${e.wall_s.toFixed(1).padStart(6)} s wall   ${m.name} median ${m.median.toPrecision(4)} ${m.unit} [${m.min.toPrecision(4)}-${m.max.toPrecision(4)}]`);
}

console.log('\nRosetta checks (max |diff| from the NumPy reference relative to the output scale; wall time of the check process):');
const checks = project.checkEntries.filter((e) => e.status === 'ok').sort((a, b) => (a.check.benchmark + a.check.framework).localeCompare(b.check.benchmark + b.check.framework));
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
