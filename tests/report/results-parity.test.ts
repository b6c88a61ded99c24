// The Rosetta check on the committed results: at the cpu profile, in fp32 mode (the parity
// baseline), the frameworks' final accuracies agree within the band. Fast mode is shown in the
// report with its check, but bf16 and XLA are allowed to train differently.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DatasetSchema } from '../../src/pipeline/schemas.ts';
import { describeParity, trainingParity } from '../../src/report/parity.ts';
import { ROOT } from '../pipeline/project.ts';

test('committed fp32 training results of all frameworks agree within the parity band', async () => {
  const dir = join(ROOT, 'content/results');
  const datasets = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.json')).map(async (f) => DatasetSchema.parse(JSON.parse(await readFile(join(dir, f), 'utf8')))));
  const checks = trainingParity(datasets).filter((check) => check.mode === 'fp32');
  expect(checks.length, 'no two frameworks have fp32 training results on the same target').toBeGreaterThan(0);
  const failed = checks.filter((check) => !check.passed).map(describeParity);
  expect(failed, failed.join('\n')).toEqual([]);
});
