// The fixture report the unit tests derive from: the declared benchmarks and targets of content/,
// the fixture frameworks and datasets of tests/fixtures/.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { BenchmarkSchema, DatasetSchema, FrameworkSchema, TargetSchema } from '../../src/pipeline/schemas.ts';
import type { Report } from '../../src/report/model.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(ROOT, 'tests', 'fixtures');

/** Every JSON record of a folder, validated, in file-name order. */
export async function readRecords<T>(dir: string, schema: z.ZodType<T>): Promise<T[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => schema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')))));
}

export async function fixtureReport(): Promise<Report> {
  return {
    benchmarks: await readRecords(join(ROOT, 'content', 'benchmarks'), BenchmarkSchema),
    targets: await readRecords(join(ROOT, 'content', 'targets'), TargetSchema),
    frameworks: await readRecords(join(FIXTURES, 'frameworks'), FrameworkSchema),
    datasets: await readRecords(join(FIXTURES, 'results'), DatasetSchema),
  };
}

/** The fixture with `fields` added to every result's environment, and `fastPath` as every fast one's when given. */
export function withEnvironment(base: Report, fields: Record<string, unknown>, fastPath?: string[]): Report {
  const datasets = base.datasets.map((dataset) => ({
    ...dataset,
    rows: dataset.rows.map((row) =>
      row.result
        ? { ...row, result: { ...row.result, environment: { ...row.result.environment, ...fields }, fast_path: row.mode === 'fast' && fastPath ? fastPath : row.result.fast_path } }
        : row,
    ),
  }));
  return { ...base, datasets };
}
