// Every internal link of the site, relative to the configured base path (ROSETTA_BASE), so the
// report works at the root of a domain or under a sub-path.
import type { CellId } from '../pipeline/schemas.ts';
import { readSettings } from './settings.ts';

/** Joins the base path and a site path: withBase('/rosetta-bench', 'code/x/') -> '/rosetta-bench/code/x/'. */
export function withBase(base: string, path = ''): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return `${prefix}${path.replace(/^\/+/, '')}`;
}

export const routes = {
  article: () => '',
  section: (benchmark: string) => `#${benchmark}`,
  code: (benchmark: string) => `code/${benchmark}/`,
  cell: (cell: CellId) => `results/${cell.benchmark}/${cell.framework}/${cellSlug(cell)}/`,
  download: (benchmark: string, format: 'json' | 'csv') => `data/${benchmark}.${format}`,
};

/** The last path segment of a cell's page; mode and profile never contain dashes, so it parses back. */
export function cellSlug(cell: Pick<CellId, 'target' | 'mode' | 'profile'>): string {
  return `${cell.target}-${cell.mode}-${cell.profile}`;
}

/** The id of a cell's entry in its benchmark's results table. */
export function cellAnchor(cell: CellId): string {
  return `cell-${cell.framework}-${cellSlug(cell)}`;
}

/**
 * A site path as a link under the configured base (ROSETTA_BASE). Read from the settings rather
 * than import.meta.env.BASE_URL, which a stray BASE_URL variable in the environment overrides.
 */
export function link(path = '', base = readSettings().base): string {
  return withBase(base, path);
}
