// The dataset of one benchmark as CSV, one line per cell.
import type { APIRoute, GetStaticPaths } from 'astro';
import type { Dataset } from '../../pipeline/schemas.ts';
import { loadReport } from '../../report/collections.ts';
import { datasetCsv } from '../../report/downloads.ts';
import { redactPaths } from '../../report/format.ts';

export const getStaticPaths = (async () => {
  const report = await loadReport();
  return report.datasets.map((dataset) => ({ params: { benchmark: dataset.benchmark }, props: { dataset } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(redactPaths(datasetCsv((props as { dataset: Dataset }).dataset)), {
    headers: { 'Content-Type': 'text/csv; charset=utf-8' },
  });
