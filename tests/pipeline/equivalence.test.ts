// The Rosetta check as a build stage (src/pipeline/equivalence.ts): its own keys, its own store,
// its outcome read strictly, and its rows in the datasets. The checks themselves run for real in
// build.test.ts (PyTorch) and in each framework's pytest suite.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listEntries, openCache, writeEntry } from '../../src/pipeline/cache.ts';
import { loadContent } from '../../src/pipeline/content.ts';
import type { Content } from '../../src/pipeline/content.ts';
import { checkRunOf, equivalenceRows, listChecks, openChecks, planChecks, writeCheck } from '../../src/pipeline/equivalence.ts';
import type { PlannedCheck } from '../../src/pipeline/equivalence.ts';
import { plan } from '../../src/pipeline/matrix.ts';
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
    entry_version: 1, key: planned.key!, check: planned.check, inputs: planned.inputs!, status: 'ok', outcome: outcome(), error: null,
    started_at: '2026-12-01T10:00:00.000Z', finished_at: '2026-12-01T10:00:09.000Z', wall_s: 9, command: ['python', '-m', 'equivalence'],
    ...overrides,
  };
}

const done = (overrides: Partial<Parameters<typeof checkRunOf>[0]> = {}) => ({ exitCode: 0, timedOut: false, stdout: '', stderr: '', ...overrides });

describe('reading what the check process did', () => {
  test('one valid JSON line is an ok run with its outcome', () => {
    const run = checkRunOf(done({ stdout: `${JSON.stringify(outcome())}\n` }));
    expect(run.status).toBe('ok');
    expect(run.outcome?.relative_diff).toBe(7.6e-7);
  });

  test('no line, two lines, text that is not JSON or an outcome missing a field are invalid output, saying which', () => {
    expect(checkRunOf(done()).message).toMatch(/printed 0 lines/);
    expect(checkRunOf(done({ stdout: `${JSON.stringify(outcome())}\n${JSON.stringify(outcome())}\n` })).message).toMatch(/printed 2 lines/);
    expect(checkRunOf(done({ stdout: 'Epoch 1/1\n' }))).toMatchObject({ status: 'invalid-output', message: expect.stringMatching(/not JSON: Epoch 1\/1/) });
    const { passed: _passed, ...partial } = outcome();
    expect(checkRunOf(done({ stdout: JSON.stringify(partial) }))).toMatchObject({ status: 'invalid-output', message: expect.stringMatching(/passed/) });
  });

  test('a crash keeps the last stderr line as its reason, exit code 3 means the framework is missing, a timeout says so', () => {
    const crash = checkRunOf(done({ exitCode: 1, stderr: 'Traceback\nKeyError: conv1.kernel\n' }));
    expect(crash).toMatchObject({ status: 'failed', message: 'the check exited with code 1: KeyError: conv1.kernel', stderrTail: ['Traceback', 'KeyError: conv1.kernel'] });
    expect(checkRunOf(done({ exitCode: 3, stderr: 'ModuleNotFoundError: No module named torch' }))).toMatchObject({ status: 'unavailable', message: 'ModuleNotFoundError: No module named torch' });
    expect(checkRunOf(done({ exitCode: undefined, timedOut: true })).status).toBe('timeout');
  });
});

describe('planning the checks', () => {
  test('one check per framework x benchmark it implements, keyed apart from every cell', async () => {
    const checks = await planChecks(project.root, content, []);
    const implemented = content.frameworks.flatMap((f) => f.implements.map((b) => `${b}/${f.id}`)).sort();
    expect(checks.filter((c) => c.status === 'missing').map((c) => c.id).sort()).toEqual(implemented);
    const cellKeys = new Set((await plan(project.root, content, [])).map((cell) => cell.key));
    for (const check of checks) {
      expect(cellKeys.has(check.key)).toBe(false);
      expect(Object.keys(check.inputs!.files)).toContain('runners/lib/equivalence/reference.py');
      expect(check.inputs!.cell).toMatchObject({ target: 'cpu', mode: 'fp32', profile: 'smoke' });
    }
  });

  test('a framework without a runner for a benchmark gets an unsupported row with the reason', async () => {
    const partial = { ...content, frameworks: content.frameworks.map((f) => (f.id === 'jax' ? { ...f, implements: ['cnn-cifar10'] } : f)) };
    const [check] = await planChecks(project.root, partial, [], { benchmarks: ['gru-imdb'], frameworks: ['jax'] });
    expect(check).toMatchObject({ status: 'unsupported', key: null, reason: expect.stringMatching(/has no gru-imdb runner/) });
  });

  test("editing the check's code changes the checks' keys and marks their outcomes stale, and no cell key", async () => {
    const cellsBefore = (await plan(project.root, content, [])).map((cell) => cell.key);
    const [before] = await planChecks(project.root, content, [], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    const cached = await planChecks(project.root, content, [entryFor(before)], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    expect(cached[0].status).toBe('cached');
    expect(equivalenceRows(cached, 'cnn-cifar10')[0]).toMatchObject({ status: 'ok', entry_key: before.key, outcome: { passed: true } });

    await appendFile(join(project.root, 'runners/lib/equivalence/reference.py'), '\n# an edit\n');
    const after = await planChecks(project.root, content, [entryFor(before)], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    expect(after[0]).toMatchObject({ status: 'missing', changed: ['files.runners/lib/equivalence/reference.py'] });
    expect(equivalenceRows(after, 'cnn-cifar10')[0]).toMatchObject({ status: 'stale', entry_key: before.key, stale_inputs: ['files.runners/lib/equivalence/reference.py'] });
    expect((await plan(project.root, content, [])).map((cell) => cell.key)).toEqual(cellsBefore);
  });

  test('a failed check is shown as failed with its reason, and runs again', async () => {
    const [planned] = await planChecks(project.root, content, [], { benchmarks: ['gru-imdb'], frameworks: ['pytorch'] });
    const failed = entryFor(planned, { status: 'failed', outcome: null, error: { message: 'the check exited with code 1: boom', exit_code: 1, stderr_tail: ['boom'] } });
    const replanned = await planChecks(project.root, content, [failed], { benchmarks: ['gru-imdb'], frameworks: ['pytorch'] });
    expect(replanned[0].status).toBe('missing');
    expect(equivalenceRows(replanned, 'gru-imdb')[0]).toMatchObject({ status: 'failed', reason: 'the check exited with code 1: boom', stderr_tail: ['boom'] });
  });
});

describe('the checks store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosetta-checks-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('lives in cache/equivalence/, which the cells listing skips; a failure never replaces an ok outcome', async () => {
    const [planned] = await planChecks(project.root, content, [], { benchmarks: ['cnn-cifar10'], frameworks: ['pytorch'] });
    const checks = openChecks(dir);
    await writeEntry(openCache(dir), cacheEntry());
    expect(await writeCheck(checks, entryFor(planned))).toBe(true);
    expect(await writeCheck(checks, entryFor(planned, { status: 'failed', outcome: null, error: { message: 'x', exit_code: 1, stderr_tail: [] } }))).toBe(false);

    const cells = await listEntries(openCache(dir));
    expect(cells.problems).toEqual([]);
    expect(cells.entries).toHaveLength(1);
    const listed = await listChecks(checks);
    expect(listed.problems).toEqual([]);
    expect(listed.entries).toEqual([entryFor(planned)]);
  });

  test('a corrupt check file is reported by path and treated as missing', async () => {
    await mkdir(join(dir, 'equivalence', 'gru-imdb'), { recursive: true });
    await writeFile(join(dir, 'equivalence', 'gru-imdb', `pytorch.${'f'.repeat(64)}.json`), '{"half": ');
    const listed = await listChecks(openChecks(dir));
    expect(listed.problems).toHaveLength(1);
    expect(listed.problems[0]).toMatchObject({ path: expect.stringMatching(/gru-imdb\/pytorch\.f+\.json$/), message: expect.stringMatching(/not valid JSON/) });
    expect(listed.entries).toHaveLength(1);
  });
});
