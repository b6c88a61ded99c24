// The datasets as CSV, one line per cell, for readers who want the numbers in a spreadsheet (the
// JSON download is the dataset file itself). Each line carries its noise, machine and date: a figure
// without them cannot be compared.
import type { Dataset, DatasetRow } from '../pipeline/schemas.ts';

const COLUMNS: [string, (row: DatasetRow) => unknown][] = [
  ['benchmark', (row) => row.benchmark],
  ['framework', (row) => row.framework],
  ['target', (row) => row.target],
  ['mode', (row) => row.mode],
  ['profile', (row) => row.profile],
  ['status', (row) => row.status],
  ['reason', (row) => row.reason],
  ['metric', (row) => row.result?.metric.name],
  ['metric_unit', (row) => row.result?.metric.unit],
  ['metric_median', (row) => row.result?.metric.median],
  ['metric_min', (row) => row.result?.metric.min],
  ['metric_max', (row) => row.result?.metric.max],
  ['metric_samples', (row) => row.result?.metric.samples.join(' ')],
  ['throughput_unit', (row) => row.result?.throughput.unit],
  ['throughput_median', (row) => row.result?.throughput.median],
  ['accuracy', (row) => row.result?.accuracy],
  ['checksum', (row) => row.result?.checksum],
  ['warmup_s', (row) => row.result?.warmup_s],
  ['synthetic_data', (row) => row.result?.data.synthetic],
  ['framework_version', (row) => row.result?.environment.framework_version],
  ['device', (row) => row.result?.environment.device],
  ['gpu_name', (row) => row.result?.environment.gpu_name],
  ['cpu_model', (row) => row.result?.environment.cpu_model],
  ['key', (row) => row.key],
  ['entry_key', (row) => row.entry_key],
  ['finished_at', (row) => row.finished_at],
  ['noisy', (row) => row.noisy.join('; ')],
  ['machine_id', (row) => row.result?.machine?.id],
  ['machine_cpu', (row) => row.result?.machine?.cpu_model],
  ['machine_gpu', (row) => row.result?.machine?.gpu_name],
];

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function datasetCsv(dataset: Dataset): string {
  const lines = [COLUMNS.map(([name]) => name), ...dataset.rows.map((row) => COLUMNS.map(([, get]) => csvField(get(row))))];
  return `${lines.map((line) => line.join(',')).join('\r\n')}\r\n`;
}
