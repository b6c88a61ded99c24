import { describe, expect, test } from 'vitest';
import type { CellId } from '../../src/pipeline/schemas.ts';
import { cellAnchor, link, routes, rowAnchor, withBase } from '../../src/report/paths.ts';
import { readSettings } from '../../src/report/settings.ts';

describe('settings from the environment', () => {
  test('default to the site root and the content folder', () => {
    expect(readSettings({}, '/x')).toEqual({
      site: undefined,
      repository: undefined,
      resultsDir: './content/results',
      frameworksDir: './content/frameworks',
      strict: false,
      compareFile: undefined,
    });
  });

  test('take a site URL, dataset folders relative to the current folder, and strict mode', () => {
    const settings = readSettings(
      { ROSETTA_SITE: 'https://example.org', ROSETTA_RESULTS_DIR: 'tests/fixtures/results', ROSETTA_STRICT: '1' },
      '/repo',
    );
    expect(settings.site).toBe('https://example.org');
    expect(String(settings.resultsDir)).toBe('file:///repo/tests/fixtures/results/');
    expect(settings.strict).toBe(true);
  });

  test('take the results diff of a --compare build as a file relative to the current folder; none without the variable', () => {
    expect(readSettings({ ROSETTA_COMPARE_FILE: '.tmp/compare.json' }, '/repo').compareFile).toBe('/repo/.tmp/compare.json');
    expect(readSettings({ ROSETTA_COMPARE_FILE: '/tmp/diff.json' }, '/repo').compareFile).toBe('/tmp/diff.json');
    expect(readSettings({ ROSETTA_COMPARE_FILE: '' }, '/repo').compareFile).toBeUndefined();
  });

  test('refuse a site or a repository that is not an absolute URL', () => {
    expect(() => readSettings({ ROSETTA_SITE: 'example.org' })).toThrow(/absolute URL/);
    expect(() => readSettings({ ROSETTA_REPOSITORY: 'org/rosetta-bench' })).toThrow(/ROSETTA_REPOSITORY must be an absolute URL/);
    expect(readSettings({ ROSETTA_REPOSITORY: 'https://github.com/org/rosetta-bench' }).repository).toBe('https://github.com/org/rosetta-bench');
  });
});

describe('internal links', () => {
  const cell: CellId = { benchmark: 'cnn-cifar10', framework: 'keras-jax', target: 'h100', mode: 'fast', profile: 'full' };

  test('start with the base path, whatever slashes it was given with', () => {
    expect(withBase('/rosetta-bench/', routes.cell(cell))).toBe('/rosetta-bench/results/cnn-cifar10/keras-jax/h100-fast-full/');
    expect(withBase('/rosetta-bench', routes.code('gru-imdb'))).toBe('/rosetta-bench/code/gru-imdb/');
    expect(withBase('/', routes.download('gru-imdb', 'csv'))).toBe('/data/gru-imdb.csv');
  });

  test("give every cell and every row an anchor that names its benchmark, unique on the article", () => {
    expect(cellAnchor(cell)).toBe('cell-cnn-cifar10-keras-jax-h100-fast-full');
    expect(cellAnchor({ ...cell, benchmark: 'gru-imdb' })).not.toBe(cellAnchor(cell));
    expect(rowAnchor('gru-imdb', 'keras-jax')).toBe('row-gru-imdb-keras-jax');
  });

  test('follow the base path Astro gives (import.meta.env.BASE_URL) unless told another', () => {
    expect(link(routes.code('gru-imdb'))).toBe(withBase(import.meta.env.BASE_URL, 'code/gru-imdb/'));
    expect(link(routes.code('gru-imdb'), '/sub/path')).toBe('/sub/path/code/gru-imdb/');
  });
});
