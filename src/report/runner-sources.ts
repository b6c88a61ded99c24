// An Astro content loader for the runners' source: every .py, .ts and .R file in each declared
// framework's runner_dir, so the Rosetta stone page can show them side by side.
import { readdir, readFile } from 'node:fs/promises';
import type { Loader } from 'astro/loaders';
import { FrameworkSchema } from '../pipeline/schemas.ts';

export function runnerSources(frameworksDir: string | URL): Loader {
  return {
    name: 'rosetta-runner-sources',
    async load({ store, config, generateDigest, logger }) {
      const href = String(frameworksDir);
      const frameworks = new URL(href.endsWith('/') ? href : `${href}/`, config.root);
      const names = (await readdir(frameworks).catch(() => [])).filter((name) => name.endsWith('.json')).sort();
      store.clear();
      for (const name of names) {
        const framework = FrameworkSchema.parse(JSON.parse(await readFile(new URL(name, frameworks), 'utf8')));
        const dir = new URL(`${framework.runner_dir.replace(/\/+$/, '')}/`, config.root);
        const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => /\.(py|ts|R)$/.test(file)).sort();
        if (files.length === 0) logger.info(`${framework.id}: no runner files in ${framework.runner_dir} yet`);
        for (const file of files) {
          const path = `${framework.runner_dir.replace(/\/+$/, '')}/${file}`;
          const source = await readFile(new URL(file, dir), 'utf8');
          const data = { framework: framework.id, path, source };
          store.set({ id: path, data, digest: generateDigest(data) });
        }
      }
    },
  };
}
