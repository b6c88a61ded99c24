// The statistics the pipeline judges results with: medians and spreads (noise flags), and the
// comparison of two sets of samples (the results diff). Pure functions, deterministic.

/** The one median of the project (pipeline, report, bench). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median, or null when there are no values (a figure the report shows as missing). */
export const medianOrNull = (values: number[]): number | null => (values.length ? median(values) : null);

/** (max - min) / median: how far apart a set of measurements of one thing lie. */
export function spread(values: number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** Mean and sample standard deviation (0 for one value) of a set of values. */
export function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}

/** The standard deviation pooled over groups of values (each group's own mean taken out). */
export function pooledSd(groups: number[][]): number {
  const degrees = groups.reduce((sum, group) => sum + group.length - 1, 0);
  return degrees > 0 ? Math.sqrt(groups.reduce((sum, group) => sum + (group.length - 1) * meanAndSd(group).sd ** 2, 0) / degrees) : 0;
}

/** The size of the test set an accuracy was measured on (the profile's test_images, test_reviews), or null when not recorded. */
export function testSetSize(params: unknown): number | null {
  const entry = Object.entries(params !== null && typeof params === 'object' ? params : {}).find(([name, value]) => name.startsWith('test_') && typeof value === 'number');
  return entry ? (entry[1] as number) : null;
}

/** A small seeded generator (mulberry32): the same comparison gives the same interval every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioEstimate {
  /** median(after) / median(before). */
  ratio: number;
  /** The 95% bootstrap percentile interval of the ratio. */
  low: number;
  high: number;
  /** Two-sided bootstrap p-value of "the ratio is 1": twice the smaller tail of resampled ratios. */
  p: number;
}

/**
 * The ratio of medians of two sets of samples, with a bootstrap interval: each set is resampled
 * with replacement, independently, `resamples` times. With few samples (3 repeats) the interval
 * is coarse and lies between the extreme ratios; the diff asks for a minimum effect as well.
 */
export function ratioOfMedians(before: number[], after: number[], resamples = 4000, seed = 1): RatioEstimate {
  const next = random(seed);
  const resample = (values: number[]) => median(values.map(() => values[Math.floor(next() * values.length)]));
  const ratios = Array.from({ length: resamples }, () => resample(after) / resample(before)).sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))];
  const below = ratios.filter((r) => r <= 1).length / resamples;
  const above = ratios.filter((r) => r >= 1).length / resamples;
  return { ratio: median(after) / median(before), low: at(0.025), high: at(0.975), p: Math.min(1, 2 * Math.min(below, above)) };
}

/** Which of these p-values are discoveries at false discovery rate q (Benjamini-Hochberg). */
export function benjaminiHochberg(pValues: number[], q = 0.05): boolean[] {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  let cutoff = -1;
  order.forEach(({ p }, rank) => {
    if (p <= ((rank + 1) / pValues.length) * q) cutoff = rank;
  });
  const discovered = new Array<boolean>(pValues.length).fill(false);
  for (let rank = 0; rank <= cutoff; rank++) discovered[order[rank].index] = true;
  return discovered;
}
