// Runs before `npm test`: installs the Debian packages some tests drive when they are missing:
// Chromium for the report's browser test (Playwright's own browser download cannot work on these
// machines) and OpenSSH's server for the ssh launcher's test.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const NEEDED = [
  { path: '/usr/bin/chromium', pkg: 'chromium' },
  { path: '/usr/sbin/sshd', pkg: 'openssh-server' },
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
}
