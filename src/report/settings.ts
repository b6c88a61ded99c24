// The environment variables the site honours, read in one place:
//   ROSETTA_BASE           base path the site is served under (default "/"), e.g. "/rosetta-bench/"
//   ROSETTA_SITE           the site's absolute URL, e.g. "https://example.org" (optional)
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
  base: string;
  site: string | undefined;
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
  const base = env.ROSETTA_BASE?.trim() || '/';
  const site = env.ROSETTA_SITE?.trim() || undefined;
  if (site !== undefined && !URL.canParse(site)) throw new Error(`ROSETTA_SITE must be an absolute URL such as https://example.org, not "${site}"`);
  const compare = env.ROSETTA_COMPARE_FILE?.trim() || undefined;
  return {
    base: `/${base.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/'),
    site,
    resultsDir: folder(env.ROSETTA_RESULTS_DIR, './content/results', cwd),
    frameworksDir: folder(env.ROSETTA_FRAMEWORKS_DIR, './content/frameworks', cwd),
    strict: env.ROSETTA_STRICT === '1',
    compareFile: compare === undefined ? undefined : resolve(cwd, compare),
  };
}
