// The runners' own pytest suites. The framework-neutral ones, the shared module's (runners/tests/
// test_rosetta.py) and the Rosetta check's (test_equivalence.py), need NumPy and pytest only, which
// every framework's environment has (each pins NumPy; runners/requirements-test.txt goes into all):
// they run once, in the environment of the first declared framework, which this file creates anyway,
// so no framework is named here and no environment exists for them alone. Each framework's own suite
// (runners/tests/test_<framework>.py) runs in its environment. Every run passes --framework, so pytest
// itself fails when a test skips or none runs (runners/tests/conftest.py), and the run's JUnit report
// must count tests that ran and passed, none skipped: a broken environment cannot pass green.
import { access, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment } from '../../src/pipeline/environments.ts';
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

function expectEveryTestRanAndPassed(run: Awaited<ReturnType<typeof pytest>>) {
  expect(run.exitCode, run.output).toBe(0);
  expect(run.counts, run.output).toMatchObject({ failures: 0, errors: 0, skipped: 0 });
  expect(run.counts.tests, run.output).toBeGreaterThan(0);
}

describe('pytest suites of the runners', () => {
  test(`the shared module's and the Rosetta check's tests pass, none skipped, once (in the ${shared?.id} environment)`, async () => {
    expect(shared, 'no framework is declared: no environment to run the Python tests in').toBeDefined();
    expectEveryTestRanAndPassed(await pytest(await pythonOf(shared), SHARED_SUITES, shared));
  }, 900_000);

  for (const framework of content.frameworks) {
    const own = `runners/tests/test_${framework.id.replaceAll('-', '_')}.py`;
    test(`${framework.id}: its runners' tests pass in its environment, none skipped`, async () => {
      expect(await exists(own), `${own} is missing: every framework's runners have a pytest suite, run in its environment`).toBe(true);
      expectEveryTestRanAndPassed(await pytest(await pythonOf(framework), [own], framework));
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
