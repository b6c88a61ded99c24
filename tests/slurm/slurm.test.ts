// The slurm launcher against a real single-node Slurm (cluster.ts), with the fault suite's fake
// runners: cells run as concurrent jobs up to the concurrency, a cancelled build leaves nothing
// queued, Slurm's own time limit is recorded as a timeout with its reason, and concurrent results
// equal sequential ones.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeSandbox, row, start, until, writeContent } from '../faults/sandbox.ts';
import type { Sandbox } from '../faults/sandbox.ts';
import { startCluster } from './cluster.ts';
import type { Cluster } from './cluster.ts';

const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const SLOW = ['s1', 's2', 's3', 's4'];
const HANGING = ['h1', 'h2', 'h3'];

/** The fake benchmark on a slurm target ("cluster"), whose srun options are `options`; without
 * `withPython`, each cell runs with its framework's environment. */
async function clusterContent(sandbox: Sandbox, options: string[], withPython = true) {
  const benchmark = JSON.parse(await readFile(join(sandbox.root, 'content/benchmarks/fake.json'), 'utf8'));
  const framework = (id: string, fault: string) => ({
    id, name: id, runner_dir: 'runners/fake', implements: ['fake'], unavailable_on: {}, notes: '',
    environment: { requirements: 'runners/fake/requirements.txt', variables: { FAULT: fault, FAULT_PIDS: sandbox.pids, FAULT_SECONDS: '3' } },
  });
  await writeContent(sandbox.root, {
    benchmarks: [{ ...benchmark, timeout_s: { full: 300, cpu: 300, smoke: 300 } }],
    targets: [{
      id: 'cluster', label: 'Test cluster', hardware: { kind: 'cpu', name: 'test node', memory_gb: null, peak_flops: null, memory_bandwidth: null },
      device: 'cpu', profile: 'full', launch: { kind: 'slurm', argv: ['srun', '--quiet', '-n1', '-c1', ...options], ...(withPython ? { python } : {}), concurrency: 2, exclusive: false },
    }],
    frameworks: [...SLOW.map((id) => framework(id, 'slow')), ...HANGING.map((id) => framework(id, 'hang'))],
  });
}

// One sandbox per test (one build at a time per tree), so that the tests run at once: the time
// limit's test waits a minute for Slurm.
let cluster: Cluster;
let sandbox: Sandbox;
let cancelled: Sandbox;
let limited: Sandbox;
beforeAll(async () => {
  cluster = await startCluster();
  [sandbox, cancelled, limited] = await Promise.all([makeSandbox(), makeSandbox(), makeSandbox()]);
  await clusterContent(sandbox, []);
  await clusterContent(cancelled, [], false);
  await clusterContent(limited, ['--time=1']);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  await Promise.all([sandbox, cancelled, limited].map((each) => each?.remove()));
});

const build = (on: Sandbox, frameworks: string[], ...args: string[]) =>
  start(on, 'build', ['--target', 'cluster', '--framework', frameworks.join(','), '--no-render', ...args], cluster.env);

/** The stored records of a framework's cluster cell: the current one, then those it replaced. */
async function records(on: Sandbox, framework: string) {
  const read = async (dir: string) =>
    Promise.all((await readdir(dir).catch(() => [] as string[])).map(async (file) => JSON.parse(await readFile(join(dir, file), 'utf8'))));
  return [...(await read(join(on.root, 'cache/fake', framework))), ...(await read(join(on.root, 'cache/history/fake', framework)))];
}

describe.concurrent('the slurm launcher on a real Slurm', () => {
  test('four cells at a concurrency of two take about half the sequential time, and store the same results', async () => {
    const sequentialStart = Date.now();
    const sequential = await build(sandbox, SLOW, '--concurrency', '1');
    const sequentialS = (Date.now() - sequentialStart) / 1000;
    expect(sequential.exitCode, sequential.all).toBe(0);
    const concurrentStart = Date.now();
    const concurrent = await build(sandbox, SLOW, '--remeasure');
    const concurrentS = (Date.now() - concurrentStart) / 1000;
    expect(concurrent.exitCode, concurrent.all).toBe(0);
    console.log(`slurm: 4 cells of 3 s, sequential ${sequentialS.toFixed(1)} s, concurrency 2 ${concurrentS.toFixed(1)} s`);
    expect(concurrent.all).toMatch(/submitted \(2 running, 2 queued\)/);
    expect(concurrentS).toBeLessThan(sequentialS * 0.75);
    for (const framework of SLOW) {
      expect((await row(sandbox, framework, 'cluster')).status).toBe('ok');
      const [current, replaced] = await records(sandbox, framework);
      expect(replaced, framework).toBeDefined();
      expect(current.key).toBe(replaced.key);
      expect(current.result).toEqual(replaced.result);
    }
  }, 120_000);

  test('Ctrl-C of the build cancels every job it submitted and leaves none queued', async () => {
    const child = build(cancelled, HANGING, '--concurrency', '2');
    const submitted = await until(async () => (await cluster.queue(cancelled.root)).length === 2, 30_000);
    child.kill('SIGINT');
    const done = await child;
    expect(submitted).toBe(true);
    expect(done.exitCode, done.all).toBe(130);
    expect(await until(async () => (await cluster.queue(cancelled.root)).length === 0, 15_000)).toBe(true);
    for (const framework of HANGING) expect(await records(cancelled, framework)).toEqual([]);
  }, 120_000);

  test("a job past its Slurm time limit is recorded as timeout, with Slurm's reason", async () => {
    const done = await start(limited, 'build', ['--target', 'cluster', '--framework', 'h1', '--no-render'], cluster.env);
    expect(done.exitCode, done.all).toBe(0);
    const shown = await row(limited, 'h1', 'cluster');
    expect(shown.status, shown.reason ?? '').toBe('timeout');
    expect(shown.reason).toMatch(/Slurm cancelled the job due to time limit/);
    expect(await cluster.queue(limited.root)).toEqual([]);
  }, 200_000);
});
