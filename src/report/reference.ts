// The 2017 study's published results, a committed reference dataset (content/reference/2017.json,
// copied from the study's README with its source): K80 and P100 seconds per framework for the three
// benchmarks, and for each of its frameworks the framework of today's matrix that stands for it, or
// why none does (what was tried, and the command that repeats the attempt). Its schema lives here, as
// only the site reads it: a framework that cannot run is no record of content/frameworks, so the
// pipeline never plans a job for it.
import { z } from 'zod';
import data from '../../content/reference/2017.json' with { type: 'json' };

const Seconds = z.number().positive().nullable();
const text = z.string().min(1);

/** Why no framework of today stands for a study's framework: what was established, and how. */
const Attempt = z.strictObject({
  /** The framework's last release ("cntk 2.7.post2") and its date; null where no reachable registry says. */
  last_version: text.nullable(),
  released: z.iso.date().nullable(),
  reason: text,
  /** One command line that repeats the attempt. */
  reproduce: text,
});

/** One framework of the study, under every name its tables give it, and exactly one of: today's
 * framework id that stands for it, why it cannot run today, or why it was not attempted. A framework
 * of today that runs in place of one that cannot (plain Theano for Lasagne, a library on Theano)
 * carries the attempt at the study's own as `stands_in`. */
const StudyFramework = z.union([
  z.strictObject({ names: z.array(text).nonempty(), today: z.string().regex(/^[a-z0-9][a-z0-9-]*$/), stands_in: Attempt.optional() }),
  z.strictObject({ names: z.array(text).nonempty(), cannot_run: Attempt }),
  z.strictObject({ names: z.array(text).nonempty(), not_attempted: Attempt }),
]);
export type StudyFramework = z.infer<typeof StudyFramework>;

export const Reference2017Schema = z.strictObject({
  study: z.string(),
  source: z.strictObject({ repository: z.string(), url: z.url(), commit: z.string(), date: z.string(), section: z.string(), note: z.string() }),
  hardware: z.strictObject({ k80: z.string(), p100: z.string() }),
  /** The profile of benchmarks.md their workloads correspond to. */
  profile: z.enum(['full', 'cpu', 'smoke']),
  benchmarks: z.record(
    z.string(),
    z.strictObject({
      metric: z.string(),
      unit: z.string(),
      rows: z.array(
        z.strictObject({
          /** Their name for it: "Keras (TF)". */
          framework: z.string(),
          k80: Seconds,
          p100: Seconds,
          cudnn_rnn: z.boolean().nullable().optional(),
        }),
      ),
    }),
  ),
  frameworks: z.strictObject({ note: text, rows: z.array(StudyFramework) }),
  accuracy: z.string(),
  lessons: z.array(z.string()),
}).superRefine((reference, context) => {
  // Every framework a table names is one row of \`frameworks\`, once.
  const seen = reference.frameworks.rows.flatMap((row) => row.names);
  for (const name of new Set(seen)) {
    if (seen.filter((other) => other === name).length > 1) context.addIssue({ code: 'custom', path: ['frameworks'], message: `"${name}" is named by more than one framework row` });
  }
  for (const [benchmark, { rows }] of Object.entries(reference.benchmarks)) {
    for (const row of rows) {
      if (!seen.includes(row.framework)) context.addIssue({ code: 'custom', path: ['benchmarks', benchmark], message: `"${row.framework}" has no framework row` });
    }
  }
});

export type Reference2017 = z.infer<typeof Reference2017Schema>;

export const REFERENCE_2017: Reference2017 = Reference2017Schema.parse(data);

/** The study's framework row of a name its tables use. */
export function studyFramework(reference: Reference2017, name: string): StudyFramework {
  return reference.frameworks.rows.find((row) => row.names.includes(name))!;
}

/** Today's framework id that stands for a study's framework; null when none does. */
export function todayOf(row: StudyFramework): string | null {
  return 'today' in row ? row.today : null;
}
