// The test suite (`npm test`). Test files run in parallel, two at a time on the 2-core CI machine
// and at most one per core elsewhere; within runners.test.ts two frameworks run at once.
// Each run writes .tmp/test-report.json, from which `npm run bench` prints the suite's time per part.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism()),
    maxConcurrency: 2,
    reporters: ['default', ['json', { outputFile: '.tmp/test-report.json' }]],
  },
});
