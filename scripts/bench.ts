// `npm run bench`: the pipeline's own figures (not a timed test; these machines are noisy).
// Prints the time of the plan step over the whole declared matrix, a no-op build (everything
// cached) against `astro build` alone, and the wall time of every cached cell of the cpu target.
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { execa } from 'execa';
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
