// The runners' own pytest suites. The framework-neutral ones, the shared module's (runners/tests/
// test_rosetta.py) and the Rosetta check's (test_equivalence.py), need NumPy and pytest only, which
// every framework's environment has (each pins NumPy; runners/requirements-test.txt goes into all):
// they run once, in the environment of the first declared framework, which this file creates anyway,
// so no framework is named here and no environment exists for them alone. Each framework's own suite
// (runners/tests/test_<framework>.py) runs in its environment. Every run passes --framework, so pytest
// itself fails when a test skips or none runs (runners/tests/conftest.py), and the run's JUnit report
// must count tests that ran and passed, none skipped: a broken environment cannot pass green.
//
// A suite's outcome is cached when every test in it ran and passed, like the smoke jobs' (runners.test.ts),
// beside the environments (pytest-cache/), under a digest of everything the run reads: this file, the
// environment (its folder is named by the hash of its requirements), the framework's variables, the
// shared module and the check (runners/lib), the runners' README, the benchmarks' profiles, the shared
// test files and, for a framework's suite, its own test file and its runner folder. A failed run is never
// stored: it runs again next time. ROSETTA_SMOKE_CACHE=off runs every suite.
import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment, environmentDir, environmentsRoot } from '../../src/pipeline/environments.ts';
import { PYTHON_PATH } from '../../src/pipeline/files.ts';
import type { Framework } from '../../src/pipeline/schemas.ts';
import { ROOT } from './project.ts';

const content = await loadContent(ROOT);
const exists = (path: string) => access(join(ROOT, path)).then(() => true, () => false);
const pythonOf = async (framework: Framework) => (await ensureEnvironment(ROOT, framework, () => {})).python;

const SHARED_SUITES = ['runners/tests/test_rosetta.py', 'runners/tests/test_equivalence.py'];
const shared = content.frameworks[0];

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

/** The totals of a pytest --junitxml report, summed over its <testsuite> elements (NaN when unreadable). */
function junitCounts(xml: string): Counts {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = [...xml.matchAll(/<testsuite\s([^>]*)>/g)].map((match) => match[1]);
  for (const key of Object.keys(counts) as (keyof Counts)[]) {
    counts[key] = suites.length ? suites.reduce((sum, attributes) => sum + Number(attributes.match(new RegExp(`\\b${key}="(\\d+)"`))?.[1] ?? NaN), 0) : NaN;
  }
  return counts;
}

/** Runs pytest on `files` with the framework's variables, in its environment's `python`; `strict`: pass --framework. */
async function pytest(python: string, files: string[], framework: Framework, options: { cwd?: string; strict?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'rosetta-pytest-'));
  try {
    const report = join(dir, 'report.xml');
    const strict = options.strict === false ? [] : [`--framework=${framework.id}`];
    const run = await execa(python, ['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider', ...strict, `--junitxml=${report}`, ...files], {
      cwd: options.cwd ?? ROOT,
      env: { ...framework.environment.variables, PYTHONPATH: join(ROOT, PYTHON_PATH) },
      reject: false,
      all: true,
    });
    return { exitCode: run.exitCode, output: run.all, counts: junitCounts(await readFile(report, 'utf8').catch(() => '')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type PytestRun = Awaited<ReturnType<typeof pytest>>;

/** Every file under `paths` (folders walked, Python caches left out), sorted. */
async function filesUnder(paths: string[]): Promise<string[]> {
  const found = await Promise.all(paths.map(async (path) => {
    const entries = await readdir(join(ROOT, path), { recursive: true, withFileTypes: true }).catch(() => null);
    if (!entries) return [path];
    return entries.filter((entry) => entry.isFile() && !entry.parentPath.includes('__pycache__'))
      .map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length + 1));
  }));
  return [...new Set(found.flat())].sort();
}

const SUITE_INPUTS = ['tests/pipeline/python.test.ts', 'runners/lib', 'runners/README.md', 'content/benchmarks',
  'runners/tests/conftest.py', 'runners/tests/runner_checks.py'];
const STORE = join(environmentsRoot(ROOT), 'pytest-cache');

/** `pytest` on `files` in the framework's environment, or the stored outcome of a passing run on the same inputs. */
async function cachedPytest(name: string, framework: Framework, files: string[], inputs: string[]): Promise<PytestRun> {
  const python = await pythonOf(framework);
  const digest = createHash('sha256').update(JSON.stringify({ environment: basename(await environmentDir(ROOT, framework)), variables: framework.environment.variables, files }));
  for (const path of await filesUnder([...SUITE_INPUTS, ...files, ...inputs])) digest.update(`\0${path}\0`).update(await readFile(join(ROOT, path)));
  const stored = join(STORE, `${name}.${digest.digest('hex').slice(0, 16)}.json`);
  if (process.env.ROSETTA_SMOKE_CACHE !== 'off') {
    const previous = await readFile(stored, 'utf8').then((text) => JSON.parse(text) as PytestRun).catch(() => null); // none, or unreadable: run
    if (previous) return previous;
  }
  const run = await pytest(python, files, framework);
  if (passedWhole(run)) {
    await mkdir(STORE, { recursive: true });
    await writeFile(`${stored}.${process.pid}.tmp`, JSON.stringify(run));
    await rename(`${stored}.${process.pid}.tmp`, stored);
  }
  return run;
}

const passedWhole = (run: PytestRun) => run.exitCode === 0 && run.counts.failures === 0 && run.counts.errors === 0 && run.counts.skipped === 0 && run.counts.tests > 0;

function expectEveryTestRanAndPassed(run: PytestRun) {
  expect(run.exitCode, run.output).toBe(0);
  expect(run.counts, run.output).toMatchObject({ failures: 0, errors: 0, skipped: 0 });
  expect(run.counts.tests, run.output).toBeGreaterThan(0);
}

describe('pytest suites of the runners', () => {
  test(`the shared module's and the Rosetta check's tests pass, none skipped, once (in the ${shared?.id} environment)`, async () => {
    expect(shared, 'no framework is declared: no environment to run the Python tests in').toBeDefined();
    expectEveryTestRanAndPassed(await cachedPytest('shared', shared, SHARED_SUITES, []));
  }, 900_000);

  for (const framework of content.frameworks) {
    const own = `runners/tests/test_${framework.id.replaceAll('-', '_')}.py`;
    test(`${framework.id}: its runners' tests pass in its environment, none skipped`, async () => {
      expect(await exists(own), `${own} is missing: every framework's runners have a pytest suite, run in its environment`).toBe(true);
      expectEveryTestRanAndPassed(await cachedPytest(framework.id, framework, [own], [framework.runner_dir]));
    }, 900_000);
  }

  test('a suite that skips a test or runs none fails, in pytest (--framework) and in the counts', async () => {
    const python = await pythonOf(shared);
    const dir = await mkdtemp(join(tmpdir(), 'rosetta-skips-'));
    try {
      await copyFile(join(ROOT, 'runners', 'tests', 'conftest.py'), join(dir, 'conftest.py'));
      await writeFile(join(dir, 'test_skips.py'), [
        'import pytest', '', '', 'def test_runs():', '    pass', '', '',
        '@pytest.mark.skip(reason="the framework is not installed")', 'def test_skips():', '    pass', '',
      ].join('\n'));
      await writeFile(join(dir, 'test_none.py'), ['import pytest', '', 'pytest.importorskip("no_such_framework")', '', '', 'def test_never_collected():', '    pass', ''].join('\n'));

      // Without --framework (a developer's run of every file in one environment) a skip is no failure
      // for pytest, but the counts give it away.
      const plain = await pytest(python, ['test_skips.py'], shared, { cwd: dir, strict: false });
      expect(plain.exitCode, plain.output).toBe(0);
      expect(plain.counts).toEqual({ tests: 2, failures: 0, errors: 0, skipped: 1 });
      expect(() => expectEveryTestRanAndPassed(plain)).toThrow();

      const skipping = await pytest(python, ['test_skips.py'], shared, { cwd: dir });
      expect(skipping.exitCode, skipping.output).toBe(1);
      expect(skipping.output).toContain(`1 skipped in the ${shared.id} environment, where nothing may skip`);
      expect(skipping.output).toContain('test_skips.py::test_skips: the framework is not installed');

      const none = await pytest(python, ['test_none.py'], shared, { cwd: dir });
      expect(none.exitCode, none.output).toBe(1);
      expect(none.output).toContain('test_none.py: could not import');
      expect(none.output).toContain(`no test ran in the ${shared.id} environment`);
      expect(() => expectEveryTestRanAndPassed(none)).toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
