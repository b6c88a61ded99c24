// How numbers, statuses and commands read in the report. Deterministic (en-US, fixed precision),
// so the same datasets always render the same pages.
import { homedir, tmpdir } from 'node:os';
import type { CellStatus } from '../pipeline/schemas.ts';
import { shellQuote } from '../pipeline/launch.ts';

const significant = (digits: number) => new Intl.NumberFormat('en-US', { maximumSignificantDigits: digits });
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Three significant digits below 1,000, whole numbers with separators above: 0.0123, 12.3, 4,120. */
export function formatNumber(value: number, digits = 3): string {
  return Math.abs(value) >= 10 ** digits ? grouped.format(value) : significant(digits).format(value);
}

export function formatWithUnit(value: number, unit: string): string {
  return `${formatNumber(value)} ${unit}`;
}

export function formatRange(min: number, max: number, unit: string): string {
  return `${formatNumber(min)}–${formatNumber(max)} ${unit}`;
}

/** 0.6134 -> "61.3%" */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** An accuracy as every page shows it: "61.3%", and "61.3% (stand-in data)" when the runner trained on the stand-in. */
export function formatAccuracy(fraction: number, synthetic: boolean, digits = 1): string {
  return synthetic ? `${formatPercent(fraction, digits)} (stand-in data)` : formatPercent(fraction, digits);
}

/** 2.4567 -> "2.46×" */
export function formatRatio(ratio: number): string {
  return `${formatNumber(ratio)}×`;
}

/** How many times faster (a ratio of times, the other's over this one's): 2.5 -> "2.5× faster", 0.25 -> "4× slower". */
export function formatSpeedRatio(ratio: number): string {
  return ratio >= 1 ? `${formatRatio(ratio)} faster` : `${formatRatio(1 / ratio)} slower`;
}

export function formatChecksum(value: number): string {
  return significant(9).format(value);
}

export function formatCount(value: number): string {
  return grouped.format(value);
}

/** An ISO time as the report shows it: "2026-11-20 09:00:00 UTC". */
export function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** The days two ISO times fall on: "2026-11-20", or "2026-11-20 to 2026-11-24". */
export function formatDateRange(first: string, last: string): string {
  const [a, b] = [first.slice(0, 10), last.slice(0, 10)];
  return a === b ? a : `${a} to ${b}`;
}

export const STATUS_LABELS: Record<CellStatus, string> = {
  ok: 'ok',
  stale: 'stale',
  'not-measured': 'not measured',
  unsupported: 'no runner',
  unavailable: 'unavailable',
  failed: 'failed',
  timeout: 'timed out',
  'invalid-output': 'invalid output',
};

/** A command as one line a reader can paste into a POSIX shell. */
export function shellLine(args: string[]): string {
  return args.map(shellQuote).join(' ');
}

/**
 * Replaces the build machine's own folders in text that came from a run (stderr tails, notes) so
 * no path of the machine that built the report reaches a page.
 */
export function redactPaths(text: string, folders: Record<string, string> = machineFolders()): string {
  let out = text;
  const byLength = Object.entries(folders)
    .filter(([folder]) => folder.length > 1)
    .sort(([a], [b]) => b.length - a.length);
  for (const [folder, replacement] of byLength) {
    const escaped = folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`${escaped}(?![\\w.-])`, 'g'), () => replacement);
  }
  return out;
}

export function machineFolders(): Record<string, string> {
  return { [process.cwd()]: '.', [tmpdir()]: '$TMPDIR', [homedir()]: '~' };
}
