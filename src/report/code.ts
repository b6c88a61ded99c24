// The Rosetta stone: which runner files a benchmark has, and how long each is.
import { runnerPath } from '../pipeline/key.ts';
import type { Framework } from '../pipeline/schemas.ts';

export interface RunnerSource {
  framework: string;
  /** Repository path, e.g. runners/pytorch/cnn_cifar10.py. */
  path: string;
  source: string;
}

export interface LineCounts {
  lines: number;
  /** Lines that are neither blank nor only a comment. */
  code: number;
}

/** The language of a runner file, by its extension: Python, TypeScript (tfjs) or R (r-keras). */
export function languageOf(path: string): { lang: 'python' | 'typescript' | 'r'; comment: string } {
  if (path.endsWith('.ts')) return { lang: 'typescript', comment: '//' };
  return { lang: path.endsWith('.R') ? 'r' : 'python', comment: '#' };
}

export function lineCounts(source: string, path = 'runner.py'): LineCounts {
  const lines = source.replace(/\n$/, '').split('\n');
  const { comment } = languageOf(path);
  const code = lines.filter((line) => line.trim() !== '' && !line.trim().startsWith(comment)).length;
  return { lines: source === '' ? 0 : lines.length, code };
}

/** The runners of one benchmark that exist, in the order of the frameworks given. */
export function benchmarkRunners(frameworks: Framework[], benchmark: string, sources: RunnerSource[]): RunnerSource[] {
  return frameworks.flatMap((framework) => {
    const path = runnerPath(framework, benchmark);
    const found = sources.find((source) => source.path === path);
    return found ? [{ ...found, framework: framework.id }] : [];
  });
}
