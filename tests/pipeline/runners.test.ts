// Every runner of every framework at the smoke profile, through the pipeline, in its own
// environment: ok, with the spec's parameter count.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openCache } from '../../src/pipeline/cache.ts';
import { loadContent } from '../../src/pipeline/content.ts';
import { executeCells } from '../../src/pipeline/execute.ts';
import { plan } from '../../src/pipeline/matrix.ts';
import { ROOT } from './project.ts';
import { silentReporter } from './silent.ts';

const content = await loadContent(ROOT);
const cacheDir = await mkdtemp(join(tmpdir(), 'rosetta-runners-'));
afterAll(() => rm(cacheDir, { recursive: true, force: true }));

for (const framework of content.frameworks) {
  describe(`${framework.name} runners at the smoke profile`, () => {
    for (const benchmark of content.benchmarks.filter((b) => framework.implements.includes(b.id))) {
      test(`${benchmark.id}: both modes succeed and report ${benchmark.param_count} parameters`, async () => {
        const cells = (await plan(ROOT, content, [], { benchmarks: [benchmark.id], frameworks: [framework.id], targets: ['cpu'], profile: 'smoke' }))
          .filter((cell) => cell.status === 'missing');
        expect(cells.map((cell) => cell.cell.mode).sort()).toEqual([...benchmark.modes].sort());
        const reporter = silentReporter();
        const summary = await executeCells(cells, { root: ROOT, content, cache: openCache(cacheDir), reporter, strict: false });
        for (const { cell, outcome } of summary.executed) {
          expect(outcome.error, `${cell.id}: ${outcome.error?.message}\n${outcome.error?.stderr_tail.join('\n')}`).toBeNull();
          expect(outcome.status).toBe('ok');
          const result = outcome.result!;
          expect(result.param_count).toBe(benchmark.param_count);
          expect(result.metric.name).toBe(benchmark.metric.name);
          expect(result.metric.samples).toHaveLength(Number(benchmark.profiles.smoke[benchmark.kind === 'training' ? 'repeats' : 'passes']));
          expect(Number.isFinite(result.metric.median) && result.metric.median > 0).toBe(true);
          if (benchmark.kind === 'training') expect(result.loss_per_epoch?.flat().every(Number.isFinite)).toBe(true);
          else expect(Number.isFinite(result.checksum)).toBe(true);
          expect(result.environment.framework_version).toBeTruthy();
        }
        expect(summary.executed).toHaveLength(cells.length);
      }, 900_000);
    }
  });
}
