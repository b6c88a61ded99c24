// The 2017 study's published results, a committed reference dataset (content/reference/2017.json,
// copied from the study's README with its source): K80 and P100 seconds per framework for the three
// benchmarks. Its schema lives here, as only the site reads it.
import { z } from 'zod';
import data from '../../content/reference/2017.json' with { type: 'json' };

const Seconds = z.number().positive().nullable();

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
          /** The framework id of today's matrix it corresponds to; null when none does. */
          today: z.string().nullable(),
        }),
      ),
    }),
  ),
  accuracy: z.string(),
  lessons: z.array(z.string()),
});

export type Reference2017 = z.infer<typeof Reference2017Schema>;

export const REFERENCE_2017: Reference2017 = Reference2017Schema.parse(data);
