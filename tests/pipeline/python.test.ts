// The runners' own pytest suites, inside each framework's environment: the shared module's tests
// (runners/tests/test_rosetta.py), the Rosetta check's (test_equivalence.py) and the framework's
// (runners/tests/test_<framework>.py).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment } from '../../src/pipeline/environments.ts';
import { fileHasher, PYTHON_PATH } from '../../src/pipeline/key.ts';
import { ROOT } from './project.ts';

const content = await loadContent(ROOT);
const exists = (path: string) => access(join(ROOT, path)).then(() => true, () => false);

describe('pytest suites of the runners', () => {
  for (const framework of content.frameworks) {
    test(`${framework.id}: the shared module's, the check's and the framework's Python tests pass in its environment`, async () => {
      const own = `runners/tests/test_${framework.id.replaceAll('-', '_')}.py`;
      const files = ['runners/tests/test_rosetta.py', 'runners/tests/test_equivalence.py', ...((await exists(own)) ? [own] : [])];
      const environment = await ensureEnvironment(ROOT, framework, fileHasher(ROOT), () => {});
      const run = await execa(environment.python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...files], {
        cwd: ROOT,
        env: { ...framework.environment.variables, PYTHONPATH: join(ROOT, PYTHON_PATH) },
        reject: false,
        all: true,
      });
      expect(run.exitCode, run.all).toBe(0);
    }, 900_000);
  }
});
