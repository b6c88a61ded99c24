// Astro's content collections. The records the pipeline writes are validated with the pipeline's
// own schemas (src/pipeline/schemas.ts); only the site's own content (article prose, notes, runner
// sources) has its schema here.
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { BenchmarkSchema, DatasetSchema, FrameworkSchema, TargetSchema } from './pipeline/schemas.ts';
import { runnerSources } from './report/runner-sources.ts';
import { readSettings } from './report/settings.ts';

const settings = readSettings();

export const collections = {
  benchmarks: defineCollection({ loader: glob({ pattern: '*.json', base: './content/benchmarks' }), schema: BenchmarkSchema }),
  targets: defineCollection({ loader: glob({ pattern: '*.json', base: './content/targets' }), schema: TargetSchema }),
  frameworks: defineCollection({ loader: glob({ pattern: '*.json', base: settings.frameworksDir }), schema: FrameworkSchema }),
  results: defineCollection({ loader: glob({ pattern: '*.json', base: settings.resultsDir }), schema: DatasetSchema }),
  // The article's prose sections: abstract.mdx, methodology.mdx, limitations.mdx.
  article: defineCollection({
    loader: glob({ pattern: '*.mdx', base: './content/article' }),
    schema: z.strictObject({ title: z.string() }),
  }),
  // Analysis notes, shown in the section of the benchmark they discuss.
  notes: defineCollection({
    loader: glob({ pattern: 'notes/*.mdx', base: './content/article' }),
    schema: z.strictObject({ title: z.string(), benchmark: z.string() }),
  }),
  runners: defineCollection({
    loader: runnerSources(settings.frameworksDir),
    schema: z.strictObject({ framework: z.string(), path: z.string(), source: z.string() }),
  }),
};
