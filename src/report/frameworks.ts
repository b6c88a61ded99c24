// The report's framework table: every framework of the 2017 study and every framework of today's
// matrix, once each. A study framework that today's matrix carries shows how many benchmarks it
// runs; one that cannot run, or was not attempted, shows its last release, the reason and the
// command that repeats the attempt (content/reference/2017.json).
import { unsupportedReason } from '../pipeline/plan.ts';
import { byDeclaration, frameworkName, shownRows } from './model.ts';
import type { Report } from './model.ts';
import { REFERENCE_2017 } from './reference.ts';
import type { Reference2017, StudyFramework } from './reference.ts';

export type FrameworkStatus = 'runs' | 'not-measured' | 'cannot-run' | 'not-attempted' | 'not-declared';

export interface FrameworkRow {
  /** The study's names for it ("MXNet (Gluon)", "MXNet (Gluon API)"); empty for a framework new since 2017. */
  study: string[];
  /** Today's framework id and name; null when none stands for the study's. */
  framework: string | null;
  frameworkName: string | null;
  status: FrameworkStatus;
  /** The status in words: "runs 2 of 3 benchmarks" (those with a result), "cannot run". */
  statusText: string;
  /** The versions today's results recorded, or the last release of one that cannot run. */
  version: string | null;
  released: string | null;
  reason: string | null;
  /** One command line that runs it, or repeats the attempt. */
  reproduce: string;
  /** Where today's framework runs in place of the study's, which cannot: that attempt. */
  standsIn: StandIn | null;
}

type StandIn = NonNullable<Extract<StudyFramework, { today: string }>['stands_in']>;

function todayRow(report: Report, id: string, study: string[], standsIn: StandIn | null = null): FrameworkRow {
  const framework = report.frameworks.find((candidate) => candidate.id === id);
  if (!framework) {
    return { study, framework: id, frameworkName: null, status: 'not-declared', statusText: 'not declared', version: null, released: null,
      reason: `the study's row names today's framework "${id}", which content/frameworks does not declare`, reproduce: `ls content/frameworks/${id}.json`, standsIn };
  }
  const rows = report.datasets.flatMap((dataset) => shownRows(dataset)).filter((row) => row.framework === id && (row.status === 'ok' || row.status === 'stale'));
  const measured = report.benchmarks.filter((benchmark) => rows.some((row) => row.benchmark === benchmark.id));
  const versions = [...new Set(rows.map((row) => row.result?.environment.framework_version).filter((version): version is string => typeof version === 'string'))].sort();
  const missing = report.benchmarks.filter((benchmark) => !measured.includes(benchmark)).map((benchmark) =>
    framework.implements.includes(benchmark.id) ? `${benchmark.id}: no result yet` : `${benchmark.id}: no runner (${unsupportedReason(framework, benchmark.id)})`);
  return {
    study,
    framework: id,
    frameworkName: frameworkName(report, id),
    status: measured.length > 0 ? 'runs' : 'not-measured',
    statusText: measured.length > 0
      ? `runs ${measured.length} of ${report.benchmarks.length} benchmarks`
      : `not measured yet (runners for ${framework.implements.length} of ${report.benchmarks.length} benchmarks)`,
    version: versions.length > 0 ? versions.join(', ') : null,
    released: null,
    reason: missing.length > 0 ? missing.join('; ') : null,
    reproduce: `npm run build -- --framework ${id}`,
    standsIn,
  };
}

function studyRow(report: Report, row: StudyFramework): FrameworkRow {
  if ('today' in row) return todayRow(report, row.today, row.names, row.stands_in ?? null);
  const [status, attempt] = 'cannot_run' in row ? (['cannot-run', row.cannot_run] as const) : (['not-attempted', row.not_attempted] as const);
  return {
    study: row.names,
    framework: null,
    frameworkName: null,
    status,
    statusText: status === 'cannot-run' ? 'cannot run' : 'not attempted this round',
    version: attempt.last_version,
    released: attempt.released,
    reason: attempt.reason,
    reproduce: attempt.reproduce,
    standsIn: null,
  };
}

/** The study's frameworks in its order, then today's frameworks that no study row names, in declared order. */
export function frameworkTable(report: Report, reference: Reference2017 = REFERENCE_2017): FrameworkRow[] {
  const study = reference.frameworks.rows.map((row) => studyRow(report, row));
  const named = new Set(study.map((row) => row.framework));
  const order = byDeclaration(report.frameworks);
  const added = report.frameworks.map((framework) => framework.id).filter((id) => !named.has(id)).sort(order).map((id) => todayRow(report, id, []));
  return [...study, ...added];
}
