// The ratios the report derives from measured times and throughputs. Times are the seed's metric
// (seconds for the profile's workload, lower is better). Plain arithmetic: which times may be set
// against each other (those of one machine) is the callers' rule, machines.ts.
import type { Benchmark, Mode, Target } from '../pipeline/schemas.ts';

/** How fast a result is relative to the fastest of its group: 1 for the fastest, 0.5 for twice the time. */
export function relativeSpeed(seconds: number, fastestSeconds: number): number {
  return fastestSeconds / seconds;
}

/** How many times faster the fast mode is than fp32: 2 means half the time. */
export function speedup(fp32Seconds: number, fastSeconds: number): number {
  return fp32Seconds / fastSeconds;
}

/** The slowest time over the fastest; null with fewer than two times. */
export function spreadRatio(seconds: number[]): number | null {
  if (seconds.length < 2) return null;
  return Math.max(...seconds) / Math.min(...seconds);
}

/**
 * The precision whose peak a mode is measured against: fp32 mode runs true fp32 (TF32 off), fast
 * mode's documented fast path is bf16 mixed precision, so its ceiling is the bf16 peak.
 */
export function peakPrecision(mode: Mode): string {
  return mode === 'fp32' ? 'fp32' : 'bf16';
}

export interface Peak {
  precision: string;
  /** FLOP/s the run achieved: items per second times FLOP per item. */
  achieved: number;
  /** The target's declared dense peak for that precision, FLOP/s. */
  peak: number;
  fraction: number;
}

/** Null when the benchmark has no FLOP count or the target declares no peak for the precision. */
export function fractionOfPeak(itemsPerSecond: number, benchmark: Benchmark, target: Target, mode: Mode): Peak | null {
  const precision = peakPrecision(mode);
  const peak = target.hardware.peak_flops?.[precision];
  if (benchmark.flop_per_item === null || peak === undefined) return null;
  const achieved = itemsPerSecond * benchmark.flop_per_item;
  return { precision, achieved, peak, fraction: achieved / peak };
}

/** How far a feature checksum is from the reference, relative to the reference's size. */
export function checksumDeviation(checksum: number, reference: number): number {
  return reference === 0 ? checksum : (checksum - reference) / Math.abs(reference);
}
