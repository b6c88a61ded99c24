// The environment variables the site honours, read in one place (where the site is served, its
// base path, is Astro's own `base`: astro.config.mjs or `astro build --base`):
//   ROSETTA_SITE           the site's absolute URL, e.g. "https://example.org" (optional)
//   ROSETTA_REPOSITORY     the repository's web address, e.g. "https://github.com/org/rosetta-bench":
//                          every page links to it (optional; CI sets it)
//   ROSETTA_RESULTS_DIR    folder of the result datasets (default content/results)
//   ROSETTA_FRAMEWORKS_DIR folder of the framework records (default content/frameworks)
//   ROSETTA_STRICT=1       analysis notes that cite missing, failed or stale results fail the build
//   ROSETTA_COMPARE_FILE   the results diff `npm run build -- --compare REV` wrote: the article gets a
//                          "What changed since REV" section (absent: no section)
// Folders and files given by variables are relative to the current directory; the defaults are
// relative to the project root.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Settings {
  site: string | undefined;
  repository: string | undefined;
  /** A path relative to the project root, or a file URL (what Astro's glob loader takes). */
  resultsDir: string | URL;
  frameworksDir: string | URL;
  strict: boolean;
  /** An absolute path, or undefined when the build compares with nothing. */
  compareFile: string | undefined;
}

type Env = Record<string, string | undefined>;

function folder(value: string | undefined, fallback: string, cwd: string): string | URL {
  return value ? pathToFileURL(`${resolve(cwd, value)}/`) : fallback;
}

export function readSettings(env: Env = process.env, cwd = process.cwd()): Settings {
  const site = env.ROSETTA_SITE?.trim() || undefined;
  if (site !== undefined && !URL.canParse(site)) throw new Error(`ROSETTA_SITE must be an absolute URL such as https://example.org, not "${site}"`);
  const repository = env.ROSETTA_REPOSITORY?.trim() || undefined;
  if (repository !== undefined && !URL.canParse(repository)) throw new Error(`ROSETTA_REPOSITORY must be an absolute URL such as https://github.com/org/rosetta-bench, not "${repository}"`);
  const compare = env.ROSETTA_COMPARE_FILE?.trim() || undefined;
  return {
    site,
    repository,
    resultsDir: folder(env.ROSETTA_RESULTS_DIR, './content/results', cwd),
    frameworksDir: folder(env.ROSETTA_FRAMEWORKS_DIR, './content/frameworks', cwd),
    strict: env.ROSETTA_STRICT === '1',
    compareFile: compare === undefined ? undefined : resolve(cwd, compare),
  };
}
