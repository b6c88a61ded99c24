// The test suite (`npm test`). Test files run in parallel, two at a time on the 2-core CI machine
// and at most one per core elsewhere; within runners.test.ts two frameworks run at once.
// Each run writes .tmp/test-report.json, from which `npm run bench` prints the suite's time per part.
import { availableParallelism } from 'node:os';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/** The longest files (every framework's smoke jobs and checks; every framework's Python suite). */
const LONGEST = ['tests/pipeline/runners.test.ts', 'tests/pipeline/python.test.ts'];

/** Starts the longest files first. Without durations from an earlier run (a fresh machine), vitest
 * orders the files by size, which started runners.test.ts, the suite's longest by far, minutes late. */
class LongestFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const index = LONGEST.findIndex((name) => spec.moduleId.replaceAll('\\', '/').endsWith(name));
      return index < 0 ? LONGEST.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism()),
    maxConcurrency: 2,
    sequence: { sequencer: LongestFirst },
    reporters: ['default', ['json', { outputFile: '.tmp/test-report.json' }]],
  },
});
