// Lessons learned, as the 2017 study closed with: what made frameworks fast or slow here. Every
// claim is computed from the current results and the checks, names its cells, and is left out when
// the results hold nothing to say about it: compilation paid in the warm-up, compiled fast modes on
// the CPU (XLA, torch.compile, jit_compile), fused RNN kernels, where the data lived, and whether the
// networks were the same (Rosetta checks, training parity).
import { equivalenceSummary, equivalenceTable } from './equivalence.ts';
import { excludedRows, fastSpeedups, measuredRows } from './findings.ts';
import type { Measured } from './findings.ts';
import { formatCount, formatSpeedRatio, formatWithUnit } from './format.ts';
import { sameMachine } from './machines.ts';
import { benchmarkOf, frameworkName, targetLabel } from './model.ts';
import type { Report } from './model.ts';
import { isNoisy } from './noise.ts';
import { MIN_SEEDS, trainingParity } from './parity.ts';

export interface Lesson {
  topic: string;
  text: string;
}

const COMPILED = /compile|xla|jit/i;
const compiled = (row: Measured) => row.result.fast_path.filter((step) => COMPILED.test(step));

function allRows(report: Report): Measured[] {
  return report.benchmarks.flatMap((benchmark) => measuredRows(report, benchmark.id));
}

/** Each compiled fast result with the fp32 result of the same framework, benchmark, target and machine. */
function compiledPairs(report: Report): { fp32: Measured; fast: Measured }[] {
  const rows = allRows(report);
  return rows
    .filter((row) => row.mode === 'fast' && compiled(row).length > 0)
    .flatMap((fast) => {
      const fp32 = rows.find((row) => row.mode === 'fp32' && row.benchmark === fast.benchmark && row.framework === fast.framework && row.target === fast.target && row.profile === fast.profile);
      return fp32 && sameMachine([fp32, fast]) ? [{ fp32, fast }] : [];
    });
}

function where(report: Report, row: Measured): string {
  return `${benchmarkOf(report, row.benchmark)?.title ?? row.benchmark}, ${targetLabel(report, row.target)}`;
}

function warmupLesson(report: Report): Lesson | null {
  const pairs = compiledPairs(report);
  if (pairs.length === 0) return null;
  const longer = pairs.filter(({ fp32, fast }) => fast.result.warmup_s > fp32.result.warmup_s);
  const topic = 'Compilation is paid in the warm-up';
  if (longer.length === 0) return { topic, text: `None of the ${formatCount(pairs.length)} compiled fast modes warms up longer than its fp32 mode here.` };
  const extra = ({ fp32, fast }: { fp32: Measured; fast: Measured }) => fast.result.warmup_s - fp32.result.warmup_s;
  const worst = longer.reduce((a, b) => (extra(b) > extra(a) ? b : a));
  return {
    topic,
    text:
      `${formatCount(longer.length)} of ${formatCount(pairs.length)} compiled fast modes warm up longer than their fp32 mode (the warm-up is not timed). ` +
      `The most: ${frameworkName(report, worst.fast.framework)} (${compiled(worst.fast).join(', ')}; ${where(report, worst.fast)}) warms up in ` +
      `${formatWithUnit(worst.fast.result.warmup_s, 's')} against ${formatWithUnit(worst.fp32.result.warmup_s, 's')} in fp32.`,
  };
}

function cpuCompileLesson(report: Report): Lesson | null {
  const speedups = new Map(report.benchmarks.flatMap((b) => fastSpeedups(report, b.id).map((s) => [`${b.id}/${s.framework}/${s.target}`, s])));
  const pairs = compiledPairs(report).filter(({ fast }) => fast.target === 'cpu' && speedups.has(`${fast.benchmark}/${fast.framework}/${fast.target}`));
  if (pairs.length === 0) return null;
  const ratio = ({ fp32, fast }: { fp32: Measured; fast: Measured }) => fp32.result.metric.median / fast.result.metric.median;
  const sorted = [...pairs].sort((a, b) => ratio(a) - ratio(b));
  const describe = (pair: { fp32: Measured; fast: Measured }) =>
    `${formatSpeedRatio(ratio(pair))} for ${frameworkName(report, pair.fast.framework)} (${compiled(pair.fast).join(', ')}; ${where(report, pair.fast)}${isNoisy(pair.fp32) || isNoisy(pair.fast) ? '; noisy' : ''})`;
  const faster = pairs.filter((pair) => ratio(pair) > 1).length;
  const reduced = pairs.filter(({ fast }) => fast.result.fast_path.some((step) => /bf16|tf32|mixed/i.test(step))).length;
  return {
    topic: 'Compiling on the CPU',
    text:
      `On the CPU, the compiled fast mode (XLA, torch.compile, jit_compile) is faster than fp32 in ${formatCount(faster)} of ${formatCount(pairs.length)} cells: ` +
      `from ${describe(sorted[0])} to ${describe(sorted.at(-1)!)}. ` +
      (reduced === 0
        ? 'None of their fast paths lists bf16 or TF32: on the CPU, fast mode is the compiler (and the layout) alone.'
        : `${formatCount(reduced)} of their fast paths also list reduced precision (bf16, TF32).`),
  };
}

function fusedRnnLesson(report: Report): Lesson | null {
  const rows = allRows(report).filter((row) => row.result.fused_rnn !== null);
  if (rows.length === 0) return null;
  const fused = rows.filter((row) => row.result.fused_rnn);
  const frameworks = (list: Measured[]) => [...new Set(list.map((row) => frameworkName(report, row.framework)))].join(', ');
  if (fused.length === 0) {
    return {
      topic: 'Fused RNN kernels',
      text: `None of the ${formatCount(rows.length)} recurrent results ran a fused RNN kernel (targets: ${[...new Set(rows.map((row) => targetLabel(report, row.target)))].join(', ')}): the cuDNN kernels that decided the 2017 study's GRU ranking exist on GPUs only.`,
    };
  }
  return {
    topic: 'Fused RNN kernels',
    text: `${formatCount(fused.length)} of ${formatCount(rows.length)} recurrent results ran a fused RNN kernel (${frameworks(fused)}); ${formatCount(rows.length - fused.length)} did not (${frameworks(rows.filter((row) => !row.result.fused_rnn)) || 'none'}).`,
  };
}

function placementLesson(report: Report): Lesson | null {
  const rows = allRows(report);
  if (rows.length === 0) return null;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.result.data.placement, (counts.get(row.result.data.placement) ?? 0) + 1);
  const parts = [...counts.entries()].map(([placement, count]) => `${formatCount(count)} in ${placement} memory`);
  return { topic: 'Where the data lives', text: `Of ${formatCount(rows.length)} current results, ${parts.join(' and ')}.` };
}

function sameNetworkLesson(report: Report): Lesson | null {
  const summary = equivalenceSummary(equivalenceTable(report));
  const excluded = report.benchmarks.flatMap((b) => excludedRows(report, b.id));
  if (summary.current === 0 && excluded.length === 0) return null;
  const failing = excluded.map(({ row }) => `${frameworkName(report, row.framework)} (${where(report, row)}, ${row.mode})`);
  return {
    topic: 'The same network, learning the same',
    text:
      `${formatCount(summary.passed)} of ${formatCount(summary.current)} current Rosetta checks pass: those runners compute the reference network. ` +
      (failing.length
        ? `Yet ${formatCount(failing.length)} results fail training parity, so their speed is not compared: ${failing.join('; ')}. A fast mode that trains to a different accuracy is a different workload.`
        : trainingParity(report.datasets).some((check) => check.verdict === 'pass')
          ? `Every result with enough seeds to be checked (at least ${MIN_SEEDS}) trains to the same accuracy as the others, within the band of their seed-to-seed spread.`
          : `No result has enough seeds yet (at least ${MIN_SEEDS}) for its accuracy to be checked against the others'.`),
  };
}

export function lessons(report: Report): Lesson[] {
  return [warmupLesson(report), cpuCompileLesson(report), fusedRnnLesson(report), placementLesson(report), sameNetworkLesson(report)].filter(
    (lesson): lesson is Lesson => lesson !== null,
  );
}
