// The report's static site. Where it is served (ROSETTA_BASE, ROSETTA_SITE) and which datasets it
// reads (ROSETTA_RESULTS_DIR, ROSETTA_FRAMEWORKS_DIR) come from the environment: see
// src/report/settings.ts.
import mdx from '@astrojs/mdx';
import { defineConfig } from 'astro/config';
import { readSettings } from './src/report/settings.ts';

const { base, site } = readSettings();

export default defineConfig({
  base,
  site,
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  integrations: [mdx()],
  markdown: { shikiConfig: { themes: { light: 'github-light', dark: 'github-dark' } } },
  devToolbar: { enabled: false },
});
