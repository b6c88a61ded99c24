// Reads and validates the declared matrix (content/benchmarks, content/frameworks, content/targets).
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CHECKS_FOLDER, HISTORY_FOLDER } from './cache.ts';
import { UserError } from './errors.ts';
import { hostFiles, runnerPath } from './key.ts';
import { BenchmarkSchema, FrameworkSchema, TargetSchema } from './schemas.ts';
import type { Benchmark, Framework, Target } from './schemas.ts';

/** Ids a benchmark cannot have: the cache keeps the checks and the history in folders of these names. */
const RESERVED_IDS = [CHECKS_FOLDER, HISTORY_FOLDER];

export interface Content {
  benchmarks: Benchmark[];
  frameworks: Framework[];
  targets: Target[];
}

async function loadFolder<T>(dir: string, schema: z.ZodType<T>): Promise<T[]> {
  const listed = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${dir} (${error.code ?? error.message}): run from the project's folder, or give --root`);
  });
  const names = listed.filter((name) => name.endsWith('.json')).sort();
  const records: T[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new UserError(`${path} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new UserError(`${path} is invalid:\n${z.prettifyError(parsed.error)}`);
    const record = parsed.data as T & { id: string };
    if (`${record.id}.json` !== name) throw new UserError(`${path}: its id "${record.id}" must match its file name`);
    records.push(record);
  }
  return records;
}

/** Loads content/ and checks that every reference between records resolves. */
export async function loadContent(root: string): Promise<Content> {
  const dir = join(root, 'content');
  const content = {
    benchmarks: (await loadFolder(join(dir, 'benchmarks'), BenchmarkSchema)).sort((a, b) => a.order - b.order),
    frameworks: await loadFolder(join(dir, 'frameworks'), FrameworkSchema),
    targets: await loadFolder(join(dir, 'targets'), TargetSchema),
  };
  for (const benchmark of content.benchmarks) {
    if (RESERVED_IDS.includes(benchmark.id)) throw new UserError(`benchmark id "${benchmark.id}" is reserved (a folder of cache/); choose another`);
  }
  const benchmarkIds = new Set(content.benchmarks.map((b) => b.id));
  const targetIds = new Set(content.targets.map((t) => t.id));
  for (const framework of content.frameworks) {
    for (const benchmark of framework.implements) {
      if (!benchmarkIds.has(benchmark))
        throw new UserError(`framework ${framework.id} implements unknown benchmark "${benchmark}"`);
    }
    for (const benchmark of Object.keys(framework.unsupported ?? {})) {
      if (!benchmarkIds.has(benchmark)) throw new UserError(`framework ${framework.id}: unknown benchmark "${benchmark}" in unsupported`);
      if (framework.implements.includes(benchmark))
        throw new UserError(`framework ${framework.id} both implements ${benchmark} and gives a reason in unsupported why it does not; remove one`);
    }
    for (const target of Object.keys(framework.unavailable_on)) {
      if (!targetIds.has(target)) throw new UserError(`framework ${framework.id}: unknown target "${target}" in unavailable_on`);
    }
    const files = [framework.environment.requirements, ...hostFiles(framework), ...framework.implements.map((benchmark) => runnerPath(framework, benchmark))];
    for (const file of files) {
      await access(join(root, file)).catch(() => {
        throw new UserError(`framework ${framework.id} needs ${file}, which does not exist (content/frameworks/${framework.id}.json)`);
      });
    }
  }
  return content;
}
