// The one module that reads Astro's content collections: it hands the pages plain data (a Report,
// runner sources, the article's entries), so everything else in src/report/ stays plain functions.
import { getCollection } from 'astro:content';
import type { CollectionEntry } from 'astro:content';
import type { RunnerSource } from './code.ts';
import type { Report } from './model.ts';

const declared = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

export async function loadReport(): Promise<Report> {
  const [benchmarks, frameworks, targets, results] = await Promise.all([
    getCollection('benchmarks'),
    getCollection('frameworks'),
    getCollection('targets'),
    getCollection('results'),
  ]);
  return {
    benchmarks: benchmarks.map((entry) => entry.data).sort((a, b) => a.order - b.order),
    frameworks: frameworks.map((entry) => entry.data).sort(declared),
    targets: targets.map((entry) => entry.data).sort(declared),
    datasets: results.map((entry) => entry.data),
  };
}

export async function loadRunnerSources(): Promise<RunnerSource[]> {
  return (await getCollection('runners')).map((entry) => entry.data);
}

/** The article's prose sections and analysis notes, in file order. */
export async function loadArticle(): Promise<{ prose: CollectionEntry<'article'>[]; notes: CollectionEntry<'notes'>[] }> {
  const [prose, notes] = await Promise.all([getCollection('article'), getCollection('notes')]);
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  return { prose: prose.sort(byId), notes: notes.sort(byId) };
}
