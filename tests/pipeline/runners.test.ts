// Every framework's jobs at the smoke profile, through the pipeline as `npm run build` runs them
// (plan -> run -> cache), in the framework's own environment: each runner in both modes is ok with
// the spec's parameter count, and each Rosetta check passes. One test per framework, two at a time.
//
// The outcomes are cached like the build's (the same keys: every input of the job), in a store
// beside the environments (smoke-cache/<digest of the code that starts, feeds and classifies a
// job, and of this file>/), which CI keeps with them: a job runs again as soon as anything it
// depends on changes, and the assertions below always hold for the stored outcome of the current
// inputs. ROSETTA_SMOKE_CACHE=off runs every job, in a temporary store.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { listStored, openJobCache } from '../../src/pipeline/cache.ts';
import { loadContent } from '../../src/pipeline/content.ts';
import { environmentsRoot } from '../../src/pipeline/environments.ts';
import type { CellOutcome, CheckOutcome } from '../../src/pipeline/outcome.ts';
import { plan } from '../../src/pipeline/plan.ts';
import type { PlannedJob } from '../../src/pipeline/plan.ts';
import { runJobs } from '../../src/pipeline/run.ts';
import type { CheckResult, RunnerResult } from '../../src/pipeline/schemas.ts';
import { ROOT } from './project.ts';
import { silentReporter } from './silent.ts';

const content = await loadContent(ROOT);
const RUNNING_CODE = ['job-process.ts', 'outcome.ts', 'launch.ts', 'run.ts', 'environments.ts', 'schemas.ts'].map((file) => `src/pipeline/${file}`);
const digest = createHash('sha256');
for (const path of [...RUNNING_CODE, 'tests/pipeline/runners.test.ts']) digest.update(await readFile(join(ROOT, path)));
const temporary = process.env.ROSETTA_SMOKE_CACHE === 'off' ? await mkdtemp(join(tmpdir(), 'rosetta-smoke-')) : null;
const cacheDir = temporary ?? join(environmentsRoot(ROOT), 'smoke-cache', digest.digest('hex').slice(0, 16));
afterAll(() => temporary && rm(temporary, { recursive: true, force: true }));

const only = process.env.ROSETTA_TEST_FRAMEWORKS?.split(',');
describe.concurrent('every runner at the smoke profile and every Rosetta check, through the pipeline', () => {
  for (const framework of content.frameworks.filter((f) => !only || only.includes(f.id))) {
    test(`${framework.name}: ${framework.implements.join(', ')}`, async () => {
      const cache = openJobCache(join(cacheDir, framework.id));
      const filters = { frameworks: [framework.id], targets: ['cpu'], profile: 'smoke' as const };
      const jobs = await plan(ROOT, content, (await listStored(cache)).stored, filters);
      const benchmarks = content.benchmarks.filter((b) => framework.implements.includes(b.id));
      const expected = benchmarks.flatMap((b) => [...b.modes.map((mode) => `cell ${b.id}/${mode}`), `check ${b.id}`]).sort();
      const name = (job: PlannedJob) => `${job.kind} ${job.cell.benchmark}${job.kind === 'cell' ? `/${job.cell.mode}` : ''}`;
      expect(jobs.filter((job) => job.status === 'missing' || job.status === 'cached').map(name).sort()).toEqual(expected);

      const summary = await runJobs(jobs.filter((job) => job.status === 'missing'), { root: ROOT, content, cache, reporter: silentReporter(), strict: false });
      expect(summary.executed).toHaveLength(jobs.filter((job) => job.status === 'missing').length);
      // Every job's outcome as stored for its current key: just run, or run earlier on the same inputs.
      const now = await plan(ROOT, content, (await listStored(cache)).stored, filters);
      const outcomes = now.filter((job) => job.status !== 'unsupported').map((job) => {
        const entry = job.current!;
        const result = 'check' in entry ? (entry.outcome ? { protocol: 1, event: 'result', ...entry.outcome } : null) : entry.result;
        return { job, outcome: { ...entry, result } as CellOutcome | CheckOutcome };
      });
      expect(outcomes.map(({ job }) => name(job)).sort()).toEqual(expected);
      for (const { job, outcome } of outcomes) {
        const why = `${job.kind} ${job.id}: ${outcome.error?.message}\n${outcome.error?.stderr_tail.join('\n')}`;
        expect(outcome.status, why).toBe('ok');
        const benchmark = benchmarks.find((b) => b.id === job.cell.benchmark)!;
        if (job.kind === 'check') {
          const check = outcome.result as CheckResult;
          const training = check.training ? `; training step: ${JSON.stringify(check.training)}` : '';
          expect(check.passed, `${job.id}: max |diff| ${check.relative_diff} of the scale, tolerance ${check.tolerance}${training}`).toBe(true);
          expect(check.param_count).toBe(benchmark.param_count);
          // A training benchmark's check includes its training step; an inference one has none.
          expect(check.training?.passed ?? null).toBe(benchmark.kind === 'training' ? true : null);
          continue;
        }
        const result = outcome.result as RunnerResult;
        expect(result.param_count).toBe(benchmark.param_count);
        expect(result.metric.name).toBe(benchmark.metric.name);
        expect(result.metric.samples).toHaveLength(Number(benchmark.profiles.smoke[benchmark.kind === 'training' ? 'repeats' : 'passes']));
        expect(Number.isFinite(result.metric.median) && result.metric.median > 0).toBe(true);
        expect(result.environment.framework_version).toBeTruthy();
        if (job.cell.mode === 'fp32') expect(result.environment.tf32).not.toBe(true);
        if (benchmark.kind === 'training') {
          expect(result.loss_per_epoch?.flat().every(Number.isFinite)).toBe(true);
          expect(result.accuracy).toBeGreaterThanOrEqual(0);
          expect(result.data.synthetic).toBe(true);
        } else expect(Number.isFinite(result.checksum)).toBe(true);
        if (job.cell.benchmark === 'gru-imdb' && job.cell.mode === 'fp32') {
          expect(result.fast_path).toEqual([]);
          expect(result.loss_per_epoch![0][0]).toBeGreaterThan(0.5); // about ln 2 after a few steps of a fresh GRU
          expect(result.loss_per_epoch![0][0]).toBeLessThan(1.0);
        }
      }
    }, 1_800_000);
  }
});
