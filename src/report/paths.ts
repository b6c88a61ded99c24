// Every internal link of the site, under Astro's base path (astro.config.mjs or `--base`), so the
// report works at the root of a domain or under a sub-path.
import type { CellId } from '../pipeline/schemas.ts';

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

/** The id of a cell's entry in its benchmark's results table; ids name the benchmark, so they are unique on the article. */
export function cellAnchor(cell: CellId): string {
  return `cell-${cell.benchmark}-${cell.framework}-${cellSlug(cell)}`;
}

/** The id of a framework's row in a benchmark's results table: where a result page's back link lands. */
export function rowAnchor(benchmark: string, framework: string): string {
  return `row-${benchmark}-${framework}`;
}

/** A site path as a link under Astro's base path (import.meta.env.BASE_URL). */
export function link(path = '', base: string = import.meta.env.BASE_URL): string {
  return withBase(base, path);
}
