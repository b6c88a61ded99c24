import type { Reporter } from '../../src/pipeline/progress.ts';

/** A reporter that keeps its lines for assertions instead of printing them. */
export function silentReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), cellStarted: () => {}, progress: () => {}, cellFinished: () => {} };
}
