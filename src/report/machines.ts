// Which machine measured each figure, and the one rule for comparing figures across cells: times
// are only comparable when the same kind of machine measured them (the same machine id, a hash of
// its CPU, memory, OS, GPU, driver and CUDA). Every ratio, rank, "fastest" and relative speed of the
// report groups or pairs cells by machineKey, so cells of different machines are never compared; a
// comparison among results that recorded no machine is made, but always says "machine not recorded".
import { byDeclaration, shownRows } from './model.ts';
import type { Report } from './model.ts';
import { formatCount, formatDateRange, formatNumber } from './format.ts';
import { medianOrNull } from '../pipeline/stats.ts';
import type { DatasetRow, Machine } from '../pipeline/schemas.ts';

/** The machine key of results stored before machines were recorded. */
export const NOT_RECORDED = 'not-recorded';
export const NOT_RECORDED_LABEL = 'machine not recorded';
export const DIFFERENT_MACHINES = 'measured on different machines';

/** The id of the machine that measured a row's result, or NOT_RECORDED. */
export function machineKey(row: Pick<DatasetRow, 'result'>): string {
  return row.result?.machine?.id ?? NOT_RECORDED;
}

/**
 * Why the figures of these rows cannot be compared as they stand: DIFFERENT_MACHINES when they come
 * from more than one machine key (then the report does not compare them, or says so where it must
 * show the comparison), NOT_RECORDED_LABEL when none recorded its machine; null when one recorded
 * machine measured them all.
 */
export function machineCaveat(rows: Pick<DatasetRow, 'result'>[]): string | null {
  const keys = new Set(rows.map(machineKey));
  if (keys.size > 1) return DIFFERENT_MACHINES;
  return keys.has(NOT_RECORDED) ? NOT_RECORDED_LABEL : null;
}

/** Whether these rows may be compared at all: one machine key. */
export function sameMachine(rows: Pick<DatasetRow, 'result'>[]): boolean {
  return machineCaveat(rows) !== DIFFERENT_MACHINES;
}

/** The rows whose numbers the report shows (ok or stale, with a result), outside the smoke profile. */
function resultRows(report: Report): DatasetRow[] {
  return report.datasets.flatMap((dataset) => shownRows(dataset)).filter((row) => row.result !== null);
}

/**
 * A short name for every machine of the report, the same in every section: "machine A", "machine
 * B", ... in the order of the targets, then of the first result each finished; NOT_RECORDED is
 * "machine not recorded".
 */
export function machineLabels(report: Report): Map<string, string> {
  const targetOrder = byDeclaration(report.targets);
  const earlier = (a: DatasetRow, b: DatasetRow) => targetOrder(a.target, b.target) || (a.finished_at ?? '').localeCompare(b.finished_at ?? '');
  const first = new Map<string, DatasetRow>();
  for (const row of resultRows(report)) {
    const key = machineKey(row);
    const seen = first.get(key);
    if (key !== NOT_RECORDED && (!seen || earlier(row, seen) < 0)) first.set(key, row);
  }
  const keys = [...first.entries()].sort(([a, x], [b, y]) => earlier(x, y) || a.localeCompare(b)).map(([key]) => key);
  const labels = new Map(keys.map((key, index) => [key, `machine ${letters(index)}`]));
  labels.set(NOT_RECORDED, NOT_RECORDED_LABEL);
  return labels;
}

/** 0 -> A, 25 -> Z, 26 -> AA. */
function letters(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  return index < 26 ? letter : `${letters(Math.floor(index / 26) - 1)}${letter}`;
}

export function machineLabel(labels: Map<string, string>, key: string): string {
  return labels.get(key) ?? `machine ${key}`;
}

/** Orders machine keys as their labels: A, B, ..., then "not recorded". */
export function byMachine(labels: Map<string, string>): (a: string, b: string) => number {
  const order = [...labels.keys()].filter((key) => key !== NOT_RECORDED);
  const rank = (key: string) => (key === NOT_RECORDED ? order.length + 1 : order.includes(key) ? order.indexOf(key) : order.length);
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

/** "Fixture CPU @ 2.20GHz, 2 cores, 7.8 GiB, Debian GNU/Linux 12; NVIDIA H100 80GB HBM3, driver 580.82.07, CUDA 13.0" */
export function describeMachine(machine: Machine): string {
  const host = [
    machine.cpu_model ?? 'unknown CPU',
    machine.cores === null ? null : `${formatCount(machine.cores)} cores`,
    machine.memory_gib === null ? null : `${formatNumber(machine.memory_gib)} GiB`,
    machine.os,
  ].filter((part) => part !== null);
  const gpu = machine.gpu_name
    ? [machine.gpu_name, machine.driver && `driver ${machine.driver}`, machine.cuda && `CUDA ${machine.cuda}`].filter(Boolean)
    : [];
  return [host.join(', '), ...(gpu.length ? [gpu.join(', ')] : [])].join('; ');
}

export interface MachineUse {
  key: string;
  label: string;
  /** Null when the machine was not recorded. */
  machine: Machine | null;
  cells: number;
  /** The earliest and latest finished_at of its cells; null when none is recorded. */
  first: string | null;
  last: string | null;
  /** The CPU's fp32 peak its runners computed (rosetta.environment), as its first cell recorded it;
   * null where none did. The denominator of a cpu cell's fraction of peak. */
  cpuPeak: { fp32: number; basis: string } | null;
  /** Median GFLOP/s of the calibration GEMM over all readings of its cells; null without any. */
  cpuGflops: number | null;
  gpuGflops: number | null;
}

/** The machines that measured the results a benchmark's section shows, in label order. */
export function benchmarkMachines(report: Report, benchmark: string): MachineUse[] {
  const labels = machineLabels(report);
  const rows = resultRows(report).filter((row) => row.benchmark === benchmark);
  const keys = [...new Set(rows.map(machineKey))].sort(byMachine(labels));
  return keys.map((key) => {
    const mine = rows.filter((row) => machineKey(row) === key);
    const times = mine.flatMap((row) => (row.finished_at ? [row.finished_at] : [])).sort();
    const readings = mine.flatMap((row) => row.result?.calibration?.readings ?? []);
    return {
      key,
      label: machineLabel(labels, key),
      machine: mine[0].result?.machine ?? null,
      cells: mine.length,
      first: times[0] ?? null,
      last: times.at(-1) ?? null,
      cpuPeak: mine.map((row) => row.result?.environment.cpu_peak_flops).find((peak) => peak != null) ?? null,
      cpuGflops: medianOrNull(readings.map((reading) => reading.cpu_gflops)),
      gpuGflops: medianOrNull(readings.flatMap((reading) => (reading.gpu_gflops === null ? [] : [reading.gpu_gflops]))),
    };
  });
}

/**
 * One machine's line in a section: "machine A: Fixture CPU @ 2.20GHz, 2 cores, ...; 9 cells,
 * finished 2026-11-20; CPU fp32 peak 166 GFLOP/s (16 lanes ...); calibration (float32 GEMM) median
 * 41.5 GFLOP/s on the CPU."
 */
export function describeMachineUse(use: MachineUse): string {
  const what = use.machine ? describeMachine(use.machine) : 'results stored before machines were recorded';
  const cells = `${formatCount(use.cells)} ${use.cells === 1 ? 'cell' : 'cells'}`;
  const when = use.first && use.last ? `, finished ${formatDateRange(use.first, use.last)}` : '';
  const figures = [
    use.cpuGflops === null ? null : `${formatNumber(use.cpuGflops)} GFLOP/s on the CPU`,
    use.gpuGflops === null ? null : `${formatNumber(use.gpuGflops)} GFLOP/s on the GPU`,
  ].filter((part) => part !== null);
  const calibration = figures.length ? `; calibration GEMM median ${figures.join(', ')}` : '; no calibration recorded';
  const peak = use.cpuPeak ? `; CPU fp32 peak ${formatNumber(use.cpuPeak.fp32 / 1e9)} GFLOP/s (${use.cpuPeak.basis})` : '';
  return `${use.label}: ${what}; ${cells}${when}${peak}${calibration}.`;
}
