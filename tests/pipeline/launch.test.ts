// Launchers: ssh for real against an sshd on 127.0.0.1 started by the test, srun by its argv.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openJobCache } from '../../src/pipeline/cache.ts';
import { loadContent } from '../../src/pipeline/content.ts';
import { ensureEnvironment } from '../../src/pipeline/environments.ts';
import { launchFor, shellQuote } from '../../src/pipeline/launch.ts';
import { cellsOf, plan } from '../../src/pipeline/plan.ts';
import { runJobs } from '../../src/pipeline/run.ts';
import type { Target } from '../../src/pipeline/schemas.ts';
import { ROOT } from './project.ts';
import { silentReporter } from './silent.ts';

const SSHD = '/usr/sbin/sshd';

const cpuTarget = (launch: Target['launch']): Target => ({
  id: 'remote',
  label: 'a remote machine',
  hardware: { kind: 'cpu', name: 'remote cpu', memory_gb: null, peak_flops: null, memory_bandwidth: null },
  device: 'cpu',
  profile: 'smoke',
  launch,
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('slurm launcher', () => {
  test('runs the runner behind the configured srun prefix, the spec on stdin, exclusive unless the target says not', () => {
    const argv: [string, ...string[]] = ['srun', '--gres=gpu:1', '--partition', 'gpu', '--time=00:20:00'];
    const target = cpuTarget({ kind: 'slurm', argv, python: 'python3', concurrency: 4, exclusive: true });
    const launch = launchFor(target, null, '/project', ['runners/pytorch/cnn_cifar10.py', '--cell', '-'], { KERAS_BACKEND: 'jax' });
    expect([launch.file, ...launch.args]).toEqual([
      'srun', '--gres=gpu:1', '--partition', 'gpu', '--time=00:20:00', '--exclusive', 'python3', 'runners/pytorch/cnn_cifar10.py', '--cell', '-',
    ]);
    const shared = launchFor(cpuTarget({ kind: 'slurm', argv, python: 'python3', concurrency: 4, exclusive: false }), null, '/project', ['r.py'], {});
    expect(shared.args).not.toContain('--exclusive');
    expect(launch.env).toEqual({ KERAS_BACKEND: 'jax', PYTHONPATH: '/project/runners/lib' });
  });

  test('shell quoting keeps hostile config values as single words', () => {
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('plain/path-1.0')).toBe('plain/path-1.0');
  });
});

describe('ssh launcher against a local sshd', () => {
  let dir: string;
  let sshd: ResultPromise;
  let target: Target;
  let python: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosetta-ssh-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
    execFileSync('cp', [join(dir, 'client.pub'), join(dir, 'authorized_keys')]);
    const port = await freePort();
    await writeFile(join(dir, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'StrictModes no',
      'UsePAM no', `PidFile ${join(dir, 'sshd.pid')}`, '',
    ].join('\n'));
    await mkdir('/run/sshd', { recursive: true });
    sshd = execa(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { reject: false });
    const ssh = ['ssh', '-p', String(port), '-i', join(dir, 'client'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `${userInfo().username}@127.0.0.1`] as [string, ...string[]];
    for (let attempt = 0; ; attempt += 1) {
      const probe = await execa(ssh[0], [...ssh.slice(1), 'true'], { reject: false });
      if (probe.exitCode === 0) break;
      if (attempt > 50) throw new Error(`sshd did not come up: ${probe.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const pytorch = (await loadContent(ROOT)).frameworks.find((f) => f.id === 'pytorch')!;
    python = (await ensureEnvironment(ROOT, pytorch, () => {})).python;
    // A remote folder whose name needs quoting: config values never reach a shell unquoted.
    target = cpuTarget({ kind: 'ssh', argv: ssh, remote_dir: join(dir, "remote dir's"), python });
  }, 900_000);

  afterAll(async () => {
    sshd?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('syncs the runners and runs a smoke cell over ssh with the same protocol', async () => {
    const content = await loadContent(ROOT);
    content.targets.push(target);
    const cells = cellsOf(await plan(ROOT, content, { cells: [], checks: [] }, { targets: ['remote'], frameworks: ['pytorch'], benchmarks: ['cnn-cifar10'], modes: ['fp32'] }))
      .filter((cell) => cell.status === 'missing');
    expect(cells).toHaveLength(1);
    expect(cells[0].runnable).toBe(true);
    const cache = openJobCache(join(dir, 'cache'));
    const summary = await runJobs(cells, { root: ROOT, content, cache, reporter: silentReporter(), strict: false });
    const { outcome } = summary.executed[0];
    expect(outcome.error, outcome.error?.stderr_tail.join('\n')).toBeNull();
    expect(outcome.status).toBe('ok');
    expect(outcome.result?.param_count).toBe(3441592);
    expect(outcome.command[0]).toBe('ssh');
    expect(await readdir(join(dir, "remote dir's", 'runners', 'lib', 'rosetta'))).toContain('__init__.py');
  }, 900_000);
});
