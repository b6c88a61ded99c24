// The CI workflow of the repository: it parses, installs as the README says, renders from the
// committed cache, and runs the results diff against the pull request's base.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { ROOT } from './project.ts';

interface Step { run?: string; uses?: string }
const workflow = parse(await readFile(join(ROOT, '.github/workflows/results.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, { if?: string; steps: Step[] }>;
};
const runs = (job: string) => workflow.jobs[job].steps.flatMap((step) => (step.run ? [step.run.replace(/\s+/g, ' ').trim()] : []));

describe('the results workflow', () => {
  test('runs on pull requests and on the default branch', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.jobs.diff.if).toMatch(/pull_request/);
    expect(workflow.jobs.publish.if).toMatch(/push/);
  });

  test('installs with the README\'s command and renders the report from the committed cache', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm run build');
    for (const job of ['diff', 'publish']) {
      const render = runs(job).findIndex((command) => command.startsWith('npm run build -- --render-only'));
      expect(runs(job)).toContain('npm ci');
      expect(render).toBeGreaterThan(runs(job).indexOf('npm ci'));
    }
    // The published site lives under the repository's name: the build passes Astro its base path.
    expect(runs('publish')).toContain('npm run build -- --render-only --base /${{ github.event.repository.name }}/');
  });

  test('diffs against the pull request\'s base with full history, then posts one comment it finds again', () => {
    const checkout = workflow.jobs.diff.steps.find((step) => step.uses?.startsWith('actions/checkout')) as Step & { with?: { 'fetch-depth'?: number } };
    expect(checkout.with?.['fetch-depth']).toBe(0);
    const diff = runs('diff').find((command) => command.includes(' diff '))!;
    expect(diff).toMatch(/^npm run --silent diff -- --base "origin\/\$\{\{ github\.base_ref \}\}"/);
    const post = runs('diff').find((command) => command.includes('rosetta-results-diff'))!;
    expect(post).toMatch(/PATCH/);
    expect(post).toMatch(/POST/);
  });

  test('publishes the built dist/ folder', () => {
    const upload = workflow.jobs.publish.steps.find((step) => step.uses?.startsWith('actions/upload-pages-artifact')) as Step & { with?: { path?: string } };
    expect(upload.with?.path).toBe('dist');
  });
});
