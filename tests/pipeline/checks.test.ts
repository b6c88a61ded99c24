// The Rosetta check as one more kind of job: planned with the cells (its own keys), stored in its
// own folder of the cache, and shown in the datasets with the same bookkeeping as a cell. Its
// outcome is classified in outcome.test.ts; the checks themselves run for real in runners.test.ts.
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listStored, openJobCache, storeOutcome, writeEntry } from '../../src/pipeline/cache.ts';
import { loadContent } from '../../src/pipeline/content.ts';
import type { Content } from '../../src/pipeline/content.ts';
import { checkRow } from '../../src/pipeline/datasets.ts';
import { cellsOf, checksOf, plan } from '../../src/pipeline/plan.ts';
import type { Filters, PlannedCheck } from '../../src/pipeline/plan.ts';
import type { CheckEntry, EquivalenceOutcome } from '../../src/pipeline/schemas.ts';
import { cacheEntry } from './fixtures.ts';
import { copyProject } from './project.ts';
import type { Project } from './project.ts';

let project: Project;
let content: Content;
beforeAll(async () => {
  project = await copyProject();
  content = await loadContent(project.root);
});
afterAll(() => project.remove());

const outcome = (overrides: Partial<EquivalenceOutcome> = {}): EquivalenceOutcome => ({
  check_version: 1, model: 'cnn', probe: '2 images', output_shape: [2, 10], max_abs_diff: 1.5e-6, scale: 1.97, relative_diff: 7.6e-7,
  tolerance: 1e-4, param_count: 3441592, expected_param_count: 3441592, passed: true, versions: { torch: '2.13.0' }, ...overrides,
});

function entryFor(planned: PlannedCheck, overrides: Partial<CheckEntry> = {}): CheckEntry {
  return {
    entry_version: 1, key: planned.key!, check: { benchmark: planned.cell.benchmark, framework: planned.cell.framework }, inputs: planned.inputs!, status: 'ok', outcome: outcome(), error: null,
    started_at: '2026-12-01T10:00:00.000Z', finished_at: '2026-12-01T10:00:09.000Z', wall_s: 9, command: ['python', '-m', 'equivalence'],
    ...overrides,
  };
}

const NOTHING = { cells: [], checks: [] };
const planChecks = async (root: string, declared: Content, checks: CheckEntry[], filters: Filters = {}) => checksOf(await plan(root, declared, { cells: [], checks }, filters));
const rows = (checks: PlannedCheck[]) => checks.map((check) => checkRow(check, content));

describe('planning the checks', () => {
  test('one check per framework x benchmark it implements, keyed apart from every cell', async () => {
    const checks = await planChecks(project.root, content, []);
    const implemented = content.frameworks.flatMap((f) => f.implements.map((b) => `${b}/${f.id}`)).sort();
    expect(checks.filter((c) => c.status === 'missing').map((c) => c.id).sort()).toEqual(implemented);
    const cellKeys = new Set(cellsOf(await plan(project.root, content, NOTHING)).flatMap((cell) => (cell.key ? [cell.key] : [])));
    for (const check of checks.filter((c) => c.status !== 'unsupported')) {
      expect(cellKeys.has(check.key!)).toBe(false);
      expect(Object.keys(check.inputs!.files)).toContain('runners/lib/equivalence/reference.py');
      expect(check.inputs!.cell).toMatchObject({ target: 'cpu', mode: 'fp32', profile: 'smoke' });
    }
  });

  test('checks are planned after the cells, only when the filters keep the cpu target and fp32, and follow the other filters', async () => {
    const jobs = await plan(project.root, content, NOTHING, { benchmarks: ['gru-imdb'], frameworks: ['jax'] });
    expect(jobs.map((job) => job.kind)).toEqual([...cellsOf(jobs).map(() => 'cell'), 'check']);
    expect(checksOf(jobs).map((check) => check.id)).toEqual(['gru-imdb/jax']);
    const checkIds = async (filters: Filters) => checksOf(await plan(project.root, content, NOTHING, filters)).map((check) => check.id);
    expect(await checkIds({ modes: ['fast'] })).toEqual([]);
    expect(await checkIds({ targets: ['h100'] })).toEqual([]);
    expect(await checkIds({ targets: ['h100', 'cpu'], modes: ['fast', 'fp32'], frameworks: ['pytorch'], benchmarks: ['cnn-cifar10'] })).toEqual(['cnn-cifar10/pytorch']);
    // --only: the checks alone (after a change of the check), or the cells alone.
    const only = await plan(project.root, content, NOTHING, { kinds: ['check'], frameworks: ['jax'] });
    expect(only.map((job) => job.id)).toEqual(content.benchmarks.map((b) => `${b.id}/jax`));
    expect(checksOf(await plan(project.root, content, NOTHING, { kinds: ['cell'] }))).toEqual([]);
    // A check's timeout is its smoke cell's, whatever profile the cells are planned at.
    expect(checksOf(await plan(project.root, content, NOTHING, { profile: 'full' }))[0].timeoutS).toBe(content.benchmarks[0].timeout_s.smoke);
  });

  test('a framework without a runner for a benchmark gets an unsupported row with the reason', async () => {
    const partial = { ...content, frameworks: content.frameworks.map((f) => (f.id === 'jax' ? { ...f, implements: ['cnn-cifar10'] } : f)) };
    const [check] = await planChecks(project.root, partial, [], { benchmarks: ['gru-imdb'], frameworks: ['jax'] });
    expect(check).toMatchObject({ status: 'unsupported', key: null, reason: `${content.frameworks.find((f) => f.id === 'jax')!.name} has no gru-imdb runner yet` });
    // A framework that says why it has none (`unsupported`) gets its own reason, on its checks and cells alike.
    const why = 'tinygrad has no GRU layer';
    const said = { ...content, frameworks: partial.frameworks.map((f) => (f.id === 'jax' ? { ...f, unsupported: { 'gru-imdb': why } } : f)) };
    const jobs = await plan(project.root, said, NOTHING, { benchmarks: ['gru-imdb'], frameworks: ['jax'] });
    expect(jobs.length).toBeGreaterThan(1);
    for (const job of jobs) expect(job, job.id).toMatchObject({ status: 'unsupported', reason: why });
  });

  test("editing the check's code changes the checks' keys and marks their outcomes stale, and no cell key", async () => {
    const cellsBefore = cellsOf(await plan(project.root, content, NOTHING)).map((cell) => cell.key);
    const [before] = await planChecks(project.root, content, [], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    const cached = await planChecks(project.root, content, [entryFor(before)], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    expect(cached[0].status).toBe('cached');
    expect(rows(cached)[0]).toMatchObject({ status: 'ok', entry_key: before.key, outcome: { passed: true } });

    await appendFile(join(project.root, 'runners/lib/equivalence/reference.py'), '\n# an edit\n');
    const after = await planChecks(project.root, content, [entryFor(before)], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    expect(after[0]).toMatchObject({ status: 'missing', changed: ['files.runners/lib/equivalence/reference.py'] });
    expect(rows(after)[0]).toMatchObject({ status: 'stale', entry_key: before.key, stale_inputs: ['files.runners/lib/equivalence/reference.py'] });
    expect(cellsOf(await plan(project.root, content, NOTHING)).map((cell) => cell.key)).toEqual(cellsBefore);
  });

  test('a failed check is shown as failed with its reason, and runs again', async () => {
    const [planned] = await planChecks(project.root, content, [], { benchmarks: ['gru-imdb'], frameworks: ['pytorch'] });
    const failed = entryFor(planned, { status: 'failed', outcome: null, error: { message: 'the check exited with code 1: boom', exit_code: 1, stderr_tail: ['boom'] } });
    const replanned = await planChecks(project.root, content, [failed], { benchmarks: ['gru-imdb'], frameworks: ['pytorch'] });
    expect(replanned[0].status).toBe('missing');
    expect(rows(replanned)[0]).toMatchObject({ status: 'failed', reason: 'the check exited with code 1: boom', stderr_tail: ['boom'] });
  });
});

describe('the checks store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosetta-checks-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('an outcome is stored in cache/equivalence/, apart from the cells; a failure never replaces an ok outcome', async () => {
    const [planned] = await planChecks(project.root, content, [], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    const cache = openJobCache(dir);
    await writeEntry(cache.cells, cacheEntry());
    const { check: _check, outcome: checked, ...common } = entryFor(planned);
    const ok = { ...common, result: { protocol: 1 as const, event: 'result' as const, ...checked! } };
    expect(await storeOutcome(cache, planned, ok)).toBe(true);
    const failure = { ...common, status: 'failed' as const, result: null, error: { message: 'x', exit_code: 1, stderr_tail: [] } };
    expect(await storeOutcome(cache, planned, failure)).toBe(false);

    const { stored, problems } = await listStored(cache);
    expect(problems).toEqual([]);
    expect(stored.cells).toHaveLength(1);
    expect(stored.checks).toEqual([entryFor(planned)]);
    expect(await readdir(join(dir, 'equivalence', 'cnn-cifar10'))).toEqual([`pytorch.${planned.key}.json`]);
  });

  test('a corrupt check file is reported by path and treated as missing', async () => {
    await mkdir(join(dir, 'equivalence', 'gru-imdb'), { recursive: true });
    await writeFile(join(dir, 'equivalence', 'gru-imdb', `pytorch.${'f'.repeat(64)}.json`), '{"half": ');
    const { stored, problems } = await listStored(openJobCache(dir));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: expect.stringMatching(/gru-imdb\/pytorch\.f+\.json$/), message: expect.stringMatching(/not valid JSON/) });
    expect(stored.checks).toHaveLength(1);
  });
});
