// Runs before `npm test`: installs the Debian packages some tests drive when they are missing
// (Chromium for the report's browser test, as Playwright's own browser download cannot work on
// these machines; OpenSSH's server for the ssh launcher's test; Slurm and munge for the slurm
// launcher's test, which starts a one-node cluster of its own; R and reticulate for the R runners of
// runners/r-keras), then makes every framework's Python environment that is missing, several at once
// (uv is mostly waiting on downloads), so the tests find them ready. Prints how long each part took.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadContent } from '../src/pipeline/content.ts';
import { environmentDir, ensureEnvironment } from '../src/pipeline/environments.ts';

const started = Date.now();
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

const NEEDED = [
  { path: '/usr/bin/chromium', pkg: 'chromium' },
  { path: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { path: '/usr/sbin/slurmctld', pkg: 'slurm-wlm' },
  { path: '/usr/sbin/munged', pkg: 'munge' },
  { path: '/usr/bin/Rscript', pkg: 'r-base-core' },
  { path: '/usr/lib/R/site-library/reticulate/DESCRIPTION', pkg: 'r-cran-reticulate' },
];
const missing = NEEDED.filter(({ path }) => !existsSync(path)).map(({ pkg }) => pkg);
if (missing.length) {
  if (process.getuid?.() !== 0) {
    console.error(`The tests need Debian's ${missing.join(', ')}. Install with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.error(`Installing Debian's ${missing.join(', ')} for the tests (about a minute)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  console.error(`test set-up: Debian packages in ${seconds(started)}`);
}

/** At most this many environments are made at once (downloads overlap, unpacking needs a core). */
const AT_ONCE = 3;
const root = process.cwd();
const { frameworks } = await loadContent(root);
const byDir = new Map<string, (typeof frameworks)[number]>();
for (const framework of frameworks) {
  const dir = await environmentDir(root, framework);
  if (!existsSync(`${dir}/.complete`) && !byDir.has(dir)) byDir.set(dir, framework);
}
if (byDir.size) {
  const making = Date.now();
  const queue = [...byDir.values()];
  console.error(`test set-up: making ${queue.length} Python environment(s), ${AT_ONCE} at a time: ${queue.map((f) => f.environment.requirements).join(', ')}`);
  const failures: string[] = [];
  const worker = async () => {
    for (let framework = queue.shift(); framework; framework = queue.shift()) {
      const one = Date.now();
      try {
        await ensureEnvironment(root, framework, () => {});
        console.error(`test set-up: environment of ${framework.environment.requirements} in ${seconds(one)}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  console.error(`test set-up: environments in ${seconds(making)}`);
  if (failures.length) {
    console.error(`error: ${failures.join('\n\n')}\nCheck the network (PyPI) and the requirements file, then run npm test again.`);
    process.exit(1);
  }
}
