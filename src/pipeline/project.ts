// The project as the command-line scripts see it: validated content, the cache and its entries.
import { listCellHistory, listStored, projectCache, verifyRecord } from './cache.ts';
import type { CacheProblem, JobCache } from './cache.ts';
import { loadContent } from './content.ts';
import type { Content } from './content.ts';
import { buildDatasets, writeDatasets } from './datasets.ts';
import { UserError } from './errors.ts';
import { plan } from './plan.ts';
import type { Filters, Stored } from './plan.ts';
import type { CacheEntry, CheckEntry } from './schemas.ts';

export interface Project {
  root: string;
  content: Content;
  cache: JobCache;
  /** The valid records of the cache, of both kinds of job. */
  stored: Stored;
  /** Hears about cache files that are not valid records. */
  warn: (line: string) => void;
}

const warnAbout = (problems: CacheProblem[], warn: (line: string) => void) => {
  for (const problem of problems) warn(`warning: cache entry ${problem.path} is ${problem.message}`);
};

/** Loads the content and the cache, every record verified (an invalid one is shown as invalid). */
export async function openProject(root: string, warn: (line: string) => void): Promise<Project> {
  const content = await loadContent(root);
  const cache = projectCache(root);
  const { stored, problems } = await listStored(cache, content);
  warnAbout(problems, warn);
  return { root, content, cache, stored, warn };
}

/** Rewrites the datasets from what the cache holds now, over the whole declared matrix, every
 * target at its own profile whatever a build's filters ran (results of other profiles stay in the
 * cache, apart); returns the paths written or removed. */
export async function refreshDatasets(project: Project): Promise<string[]> {
  const { root, content } = project;
  const verify = (record: CacheEntry | CheckEntry) => verifyRecord(record, content);
  const [{ stored }, history] = await Promise.all([listStored(project.cache, content), listCellHistory(project.cache.cells, verify)]);
  warnAbout(history.problems, project.warn);
  const everything = await plan(root, content, stored);
  return writeDatasets(root, buildDatasets(everything, content, [...stored.cells, ...history.entries.map((entry) => entry.record)]));
}

/** Values of a repeatable option, each possibly comma-separated: ["a,b", "c"] -> ["a", "b", "c"]. */
export function optionList(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

/** Checks an option's value against the allowed ones, naming them when it is not one. */
export function oneOf<T extends string>(allowed: readonly T[], value: string, option: string): T {
  if (!allowed.includes(value as T)) throw new UserError(`${option} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** Rejects filter values that name nothing declared, listing what is. */
export function checkFilters(content: Content, filters: Filters): void {
  for (const [kind, ids, known] of [
    ['benchmark', filters.benchmarks, content.benchmarks],
    ['framework', filters.frameworks, content.frameworks],
    ['target', filters.targets, content.targets],
  ] as const) {
    const unknown = (ids ?? []).filter((id) => !known.some((record) => record.id === id));
    if (unknown.length) throw new UserError(`unknown ${kind} ${unknown.join(', ')}; declared: ${known.map((r) => r.id).join(', ')}`);
  }
}

/** Prints an error for the user and returns the exit code; unexpected errors keep their stack. */
export function reportError(error: unknown, command: string): number {
  const systemError = error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall;
  if (error instanceof UserError || (error instanceof Error && error.name === 'ZodError')) {
    console.error(`error: ${error.message}`);
  } else if (systemError) {
    // A file the system refused (permissions, a full disk): what and why, without a stack.
    console.error(`error: ${error.message}`);
  } else if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${error.message}\nRun \`${command} -- --help\` for the options.`);
  } else {
    console.error(error);
  }
  return 1;
}
