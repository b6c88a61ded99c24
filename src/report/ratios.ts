// The ratios the report derives from measured times and throughputs. Times are the seed's metric
// (seconds for the profile's workload, lower is better). Plain arithmetic: which times may be set
// against each other (those of one machine) is the callers' rule, machines.ts.
import { peakFlops } from '../pipeline/schemas.ts';
import type { Benchmark, Mode, RunnerResult, Target } from '../pipeline/schemas.ts';

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

export interface Peak {
  precision: string;
  /** FLOP/s the run achieved: items per second times FLOP per item. */
  achieved: number;
  /** The dense peak for that precision, FLOP/s: the target's declared one, or on the cpu target the
   * CPU's, recorded with the result (`recorded`); `basis` says which, in words. */
  peak: number;
  recorded: boolean;
  /** Whether the peak is an upper bound: a target's declared one, or a CPU's from its maximum
   * clock; an estimate from the base clock or the clock the VM reports is not one, and a result may pass it. */
  ceiling: boolean;
  basis: string;
  fraction: number;
}

/** Null when the benchmark has no FLOP count or no peak is known for the result (peakFlops: fp32
 * mode against the fp32 peak, fast mode against the bf16 peak on a GPU). */
export function fractionOfPeak(itemsPerSecond: number, benchmark: Benchmark, target: Target, mode: Mode, result: Pick<RunnerResult, 'environment' | 'fast_path'>): Peak | null {
  const found = peakFlops(target.hardware, result, mode);
  if (benchmark.flop_per_item === null || found === null) return null;
  const achieved = itemsPerSecond * benchmark.flop_per_item;
  return { precision: found.precision, achieved, peak: found.flops, recorded: found.recorded, ceiling: found.ceiling, basis: found.basis, fraction: achieved / found.flops };
}

/** How far a feature checksum is from the reference, relative to the reference's size. */
export function checksumDeviation(checksum: number, reference: number): number {
  return reference === 0 ? checksum : (checksum - reference) / Math.abs(reference);
}
