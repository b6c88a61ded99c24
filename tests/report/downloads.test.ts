import { describe, expect, test } from 'vitest';
import { DatasetSchema } from '../../src/pipeline/schemas.ts';
import { datasetCsv } from '../../src/report/downloads.ts';
import { fixtureReport } from './fixture-report.ts';

describe('the CSV download', () => {
  test('has a header and one line per cell of the dataset, quoting fields that need it', async () => {
    const dataset = (await fixtureReport()).datasets.find((d) => d.benchmark === 'cnn-cifar10')!;
    const lines = datasetCsv(dataset).trimEnd().split('\r\n');
    expect(lines[0].split(',').slice(0, 6)).toEqual(['benchmark', 'framework', 'target', 'mode', 'profile', 'status']);
    expect(lines).toHaveLength(dataset.rows.length + 1);
    const failed = lines.find((line) => line.startsWith('cnn-cifar10,keras-jax,h100,fast,'));
    expect(failed).toContain(',failed,the runner exited with code 1: RuntimeError: mixed precision policy is not supported by this layer,');
    // Each line carries its noise and machine.
    const header = lines[0].split(',');
    const noisy = lines.find((line) => line.startsWith('cnn-cifar10,jax,cpu,fast,'))!.split(',');
    expect(noisy[header.indexOf('noisy')]).toBe('the CPU calibration moved 15% during the cell (limit 10%)');
    expect(noisy[header.indexOf('machine_id')]).toMatch(/^[0-9a-f]{12}$/);
    const quoted = datasetCsv(DatasetSchema.parse({ ...dataset, rows: [{ ...dataset.rows[0], reason: 'a, "b"' }] }));
    expect(quoted).toContain('"a, ""b"""');
  });
});
