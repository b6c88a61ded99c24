// The key findings in words, as the article's list reads them: each line names the target, profile
// and machine its figures come from, and says "noisy" next to every figure taken from a noisy result;
// a ratio under 1 reads "N× slower". The results left out of the comparisons (they fail training
// parity) get a line of their own that says why, and no figure of theirs is quoted.
import { headline } from './findings.ts';
import type { BenchmarkFindings, Fastest, Speedup } from './findings.ts';
import { formatPercent, formatRatio, formatSpeedRatio, formatWithUnit } from './format.ts';
import { machineLabel, machineLabels } from './machines.ts';
import { benchmarkOf, frameworkName, targetLabel } from './model.ts';
import type { Report } from './model.ts';

export interface FindingLine {
  /** Shown in bold before the text: the place its figures come from; empty for the summary lines. */
  lead: string;
  text: string;
}

const noisy = (flag: boolean) => (flag ? ' (noisy)' : '');

/** "in fp32, PyTorch with 20 s (1.25× as fast as JAX)"; "(noisy; ...)" when the winner's time is. */
function fastestText(report: Report, found: Fastest, unit: string): string {
  const name = (id: string) => frameworkName(report, id);
  const { winner, runnerUp } = found;
  const margin = runnerUp
    ? `${formatRatio(found.margin!)} as fast as ${name(runnerUp.framework)}${runnerUp.noisy ? ', whose time is noisy' : ''}`
    : 'the only framework measured';
  return `in ${found.mode}, ${name(winner.framework)} with ${formatWithUnit(winner.seconds, unit)} (${winner.noisy ? 'noisy; ' : ''}${margin})`;
}

export function findingLines(report: Report, found: BenchmarkFindings): FindingLine[] {
  const spec = benchmarkOf(report, found.benchmark);
  const unit = spec?.metric.unit ?? 's';
  const labels = machineLabels(report);
  const name = (id: string) => frameworkName(report, id);
  const where = (target: string, machine: string) => `${targetLabel(report, target)}, ${machineLabel(labels, machine)}`;
  const places = [...new Map(found.fastest.map((f) => [`${f.target}/${f.profile}/${f.machine}`, f])).values()];
  const lines: FindingLine[] = places.map((place) => ({
    lead: targetLabel(report, place.target),
    text: `, ${place.profile} profile, ${machineLabel(labels, place.machine)}, fastest: ${found.fastest
      .filter((f) => f.target === place.target && f.profile === place.profile && f.machine === place.machine)
      .map((f) => fastestText(report, f, unit))
      .join('; ')}.`,
  }));

  const top = headline(found);
  const spread = top.largestSpread;
  lines.push({
    lead: '',
    text: spread
      ? `Largest spread between frameworks: on ${where(spread.target, spread.machine)}, in ${spread.mode}, ${name(spread.slowest.framework)}${noisy(spread.slowest.noisy)} takes ${formatRatio(spread.ratio)} as long as ${name(spread.fastest.framework)}${noisy(spread.fastest.noisy)}.`
      : 'No spread yet: no machine has two frameworks measured in the same mode.',
  });
  const range = top.speedupRange;
  const speedupText = (s: Speedup) => `${formatSpeedRatio(s.speedup)} (${name(s.framework)} on ${where(s.target, s.machine)}${s.noisy ? ', noisy' : ''})`;
  lines.push({
    lead: '',
    text: range
      ? range.lowest === range.highest
        ? `Fast mode against fp32: ${speedupText(range.highest)}.`
        : `Fast mode against fp32: from ${speedupText(range.lowest)} to ${speedupText(range.highest)}.`
      : 'Fast mode against fp32: no framework has both modes measured on the same target and machine yet.',
  });
  const peak = top.bestPeak;
  lines.push({
    lead: '',
    text: peak
      ? `Highest fraction of peak: ${formatPercent(peak.fraction)} of the ${peak.precision} peak ${peak.recorded ? 'recorded with the result on' : 'of'} ${targetLabel(report, peak.target)} (${name(peak.framework)}, ${peak.mode}, ${machineLabel(labels, peak.machine)}${peak.noisy ? ', noisy' : ''}).` +
        (peak.ceiling ? '' : ` That peak is an estimate, not an upper bound: ${peak.basis.replace(/^recorded with the result: /, '')}${peak.fraction > 1 ? '; a result above it shows that the CPU runs faster than the clock it was computed from' : ''}.`)
      : spec?.flop_per_item === null
        ? 'No fraction of peak: the specification gives no FLOP count for this benchmark.'
        : 'No fraction of peak yet: no current result with a known peak FLOP/s (its target\'s declared peak, or on the CPU the peak recorded with the result).',
  });
  for (const { row, reason } of found.excluded) {
    lines.push({ lead: 'Not compared: ', text: `${name(row.framework)} on ${targetLabel(report, row.target)}, ${row.mode}: it ${reason}.` });
  }
  return lines;
}
