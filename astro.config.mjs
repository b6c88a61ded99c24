// The report's static site. Its base path is Astro's own `base`: "/" here, or another one given at
// build time (`npx astro build --base /rosetta-bench/`); every link and asset follows it. The site's
// URL (ROSETTA_SITE) and the datasets it reads (ROSETTA_RESULTS_DIR, ROSETTA_FRAMEWORKS_DIR) come
// from the environment: see src/report/settings.ts.
import mdx from '@astrojs/mdx';
import { defineConfig } from 'astro/config';
import { readSettings } from './src/report/settings.ts';

const { site } = readSettings();
// Links read the base path from import.meta.env.BASE_URL, which a BASE_URL variable left in the
// environment (vitest sets one) would override during the build.
delete process.env.BASE_URL;

export default defineConfig({
  base: '/',
  site,
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  integrations: [mdx()],
  markdown: { shikiConfig: { themes: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' } } },
  devToolbar: { enabled: false },
});
