// 2017 against today: the 2017 study's published seconds (reference.ts) beside today's results of
// the same framework. A speed-up is computed only where today's cell is comparable: measured at the
// profile the 2017 workloads correspond to (full), in fp32 (what the study ran), current, and not
// failing training parity; anywhere else the line says why it is not compared.
import { measuredRows } from './findings.ts';
import { formatSpeedRatio } from './format.ts';
import { frameworkName } from './model.ts';
import type { Report } from './model.ts';
import { FLAG_LABELS, cellFlags } from './quality.ts';
import { REFERENCE_2017, studyFramework, todayOf } from './reference.ts';
import type { Reference2017 } from './reference.ts';

export interface Today {
  target: string;
  targetLabel: string;
  /** Today's median seconds, when there is a comparable result. */
  seconds: number | null;
  /** The 2017 P100 time over today's (the faster 2017 GPU): how many times faster today is; null when not compared. */
  speedup: number | null;
  /** The speed-up in words ("1.7× faster", "noisy" appended), or why there is none. */
  text: string;
  compared: boolean;
}

export interface ThenAndNowRow {
  /** The framework as the study named it: "Keras (TF)". */
  name: string;
  k80: number | null;
  p100: number | null;
  /** Today's framework id and name; null when today's matrix has no such framework. */
  framework: string | null;
  frameworkName: string | null;
  today: Today[];
}

export interface ThenAndNow {
  benchmark: string;
  metric: string;
  unit: string;
  /** Today's targets at the 2017 study's profile: the columns of the comparison. */
  targets: { id: string; label: string }[];
  rows: ThenAndNowRow[];
  compared: number;
}

/** Null when the study published nothing for the benchmark. */
export function thenAndNow(report: Report, benchmark: string, reference: Reference2017 = REFERENCE_2017): ThenAndNow | null {
  const published = reference.benchmarks[benchmark];
  if (!published) return null;
  const targets = report.targets.filter((target) => target.profile === reference.profile).map((target) => ({ id: target.id, label: target.label }));
  const measured = measuredRows(report, benchmark);
  const measuredToday = (framework: string, target: { id: string; label: string }, p100: number | null): Today => {
    const base = { target: target.id, targetLabel: target.label, seconds: null, speedup: null, compared: false };
    const fp32 = measured.find((row) => row.framework === framework && row.target === target.id && row.mode === 'fp32' && row.profile === reference.profile);
    if (!fp32) {
      const elsewhere = measured.some((row) => row.framework === framework && row.profile !== reference.profile);
      return { ...base, text: elsewhere ? `not compared: measured only at another profile than the 2017 workload` : 'not compared: not measured here yet' };
    }
    const flags = cellFlags(report, fp32);
    if (flags.some((flag) => flag.kind === 'parity')) return { ...base, seconds: fp32.result.metric.median, text: `not compared: today's result ${FLAG_LABELS.parity}` };
    if (p100 === null) return { ...base, seconds: fp32.result.metric.median, text: 'not compared: the study published no P100 time' };
    const speedup = p100 / fp32.result.metric.median;
    const noisy = flags.some((flag) => flag.kind === 'noisy');
    return { ...base, seconds: fp32.result.metric.median, speedup, compared: true, text: `${formatSpeedRatio(speedup)} than the P100${noisy ? ' (noisy)' : ''}` };
  };
  const rows = published.rows.map((row) => {
    const id = todayOf(studyFramework(reference, row.framework));
    const known = id !== null && report.frameworks.some((framework) => framework.id === id);
    return {
      name: row.framework,
      k80: row.k80,
      p100: row.p100,
      framework: known ? id : null,
      frameworkName: known ? frameworkName(report, id) : null,
      today: known ? targets.map((target) => measuredToday(id, target, row.p100)) : [],
    };
  });
  return { benchmark, metric: published.metric, unit: published.unit, targets, rows, compared: rows.flatMap((row) => row.today).filter((today) => today.compared).length };
}
