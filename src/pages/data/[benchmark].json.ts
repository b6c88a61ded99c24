// The dataset of one benchmark as a download, as the pipeline wrote it.
import type { APIRoute, GetStaticPaths } from 'astro';
import { canonicalJson } from '../../pipeline/key.ts';
import type { Dataset } from '../../pipeline/schemas.ts';
import { loadReport } from '../../report/collections.ts';
import { redactPaths } from '../../report/format.ts';

export const getStaticPaths = (async () => {
  const report = await loadReport();
  return report.datasets.map((dataset) => ({ params: { benchmark: dataset.benchmark }, props: { dataset } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(`${redactPaths(canonicalJson((props as { dataset: Dataset }).dataset, 2))}\n`, {
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
