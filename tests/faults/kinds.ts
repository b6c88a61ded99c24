// The fault kinds the suite injects, each with what must hold under it: nothing lost (completed
// results stay, nothing half-written), nothing false (no invalid number shown as a result), a clear
// message and never a stack trace, and no process outliving its build. faults.test.ts asserts each
// kind; `npm run faults` prints the table of kinds and their outcomes.
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cellKey } from '../../src/pipeline/key.ts';
import { build, cacheFiles, json, row, start, survivors, TIMEOUT_S, until, writeContent } from './sandbox.ts';
import type { RunnerFault, Sandbox } from './sandbox.ts';

export interface Observed {
  /** What happened, in a few words, for the table. */
  outcome: string;
  /** What did not hold; empty when the pipeline behaved. */
  failures: string[];
}

export interface FaultKind {
  group: string;
  fault: string;
  /** What must hold. */
  expected: string;
  run(sandbox: Sandbox): Promise<Observed>;
}

/** Collects the conditions of one kind: each one that does not hold is a failure, with its text. */
function verdict(outcome: string, conditions: Record<string, boolean>): Observed {
  return { outcome, failures: Object.entries(conditions).filter(([, held]) => !held).map(([text]) => text) };
}

const STACK = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;
const noStack = (output: string) => !STACK.test(output);

const statusLine = (output: string, framework: string) =>
  output.split('\n').find((line) => line.includes(`fake/${framework}/cpu/fast/cpu: `))?.replace(/^.*fake\/[a-z0-9-]+\/cpu\/fast\/cpu: /, '') ?? '(no line)';

/** A runner fault under `npm run build`: the cell's row status and reason, the build's exit and time. */
function runnerKind(fault: RunnerFault, status: string, reason: RegExp, expected: string, maxSeconds = TIMEOUT_S + 8): FaultKind {
  return {
    group: 'runner',
    fault,
    expected,
    async run(sandbox) {
      const started = Date.now();
      const done = await build(sandbox, [fault]);
      const seconds = (Date.now() - started) / 1000;
      const shown = await row(sandbox, fault);
      const left = await until(async () => (await survivors(sandbox)).length === 0, 3000);
      return verdict(`${shown.status}: ${shown.reason ?? ''} (${seconds.toFixed(1)} s)`.slice(0, 160), {
        'the build exits 0 (a failed cell never fails the build)': done.exitCode === 0,
        [`the row is ${status}`]: shown.status === status,
        [`the reason says ${reason}`]: reason.test(shown.reason ?? ''),
        'no number is shown unless ok': status === 'ok' ? shown.result !== null : shown.result === null,
        [`the build ends within ${maxSeconds} s`]: seconds <= maxSeconds,
        'no process of the cell outlives it': left,
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  };
}

/** Starts a build of one cell (run again even if cached: a timeout is) and waits until its runner
 * works; returns the build's process. */
async function buildUntilRunning(sandbox: Sandbox, framework: string) {
  const before = (await survivors(sandbox)).length;
  const child = build(sandbox, [framework], '--remeasure');
  const running = await until(async () => (await survivors(sandbox)).length > before, 15_000);
  return { child, running };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A signal sent to the build while a runner works. */
function signalKind(signal: 'SIGINT' | 'SIGTERM'): FaultKind {
  return {
    group: 'signals',
    fault: `${signal} while a runner works`,
    expected: 'exit 130, the runner stopped, the completed cells kept, nothing half-written, the lock released',
    async run(sandbox) {
      await build(sandbox, ['ok']);
      const kept = await cacheFiles(sandbox);
      const { child, running } = await buildUntilRunning(sandbox, 'slow');
      child.kill(signal);
      const done = await child;
      const left = await until(async () => (await survivors(sandbox)).length === 0, 3000);
      const files = await cacheFiles(sandbox);
      return verdict(`exit ${done.exitCode}; ${done.all?.split('\n').find((line) => line.includes(signal)) ?? ''}`, {
        'the runner started': running,
        'the build exits 130': done.exitCode === 130,
        'the runner and its group are gone': left,
        'completed results stay': kept.every((file) => files.includes(file)),
        'no half-written file': !files.some((file) => file.endsWith('.tmp')),
        'the lock is released': !(await exists(join(sandbox.root, '.rosetta.lock'))),
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  };
}

const exists = (path: string) => readFile(path).then(() => true, () => false);

/** Writes `text` at `path` under the sandbox's cache, runs a plan and a render-only build. */
function cacheFileKind(fault: string, path: string, write: (file: string, sandbox: Sandbox) => Promise<void>, warning: RegExp): FaultKind {
  return {
    group: 'cache files',
    fault,
    expected: 'a warning naming the file, treated as missing; build, plan, ingest and render-only go on',
    async run(sandbox) {
      await build(sandbox, ['ok']);
      const file = join(sandbox.root, 'cache', path);
      await mkdir(join(file, '..'), { recursive: true });
      await write(file, sandbox);
      const rendered = await start(sandbox, 'build', ['--render-only', '--no-render']);
      const planned = await start(sandbox, 'plan', ['--target', 'gpu', '--framework', 'ok', '--out', join(sandbox.aux, 'plans')]);
      const ingested = await start(sandbox, 'ingest', [join(sandbox.aux, 'no-such-bundle.json')]);
      const ok = await row(sandbox, 'ok');
      await rm(file, { recursive: true, force: true });
      const output = `${rendered.all}\n${planned.all}\n${ingested.all}`;
      return verdict(`${rendered.all?.split('\n').find((line) => line.startsWith('warning')) ?? 'no warning'}`.slice(0, 160), {
        'render-only exits 0': rendered.exitCode === 0,
        'plan exits 0': planned.exitCode === 0,
        'ingest reports only its missing bundle': ingested.exitCode === 1 && /no-such-bundle.json: cannot read the bundle/.test(ingested.all ?? ''),
        [`a warning says ${warning}`]: warning.test(rendered.all ?? ''),
        'the valid result is still shown': ok.status === 'ok',
        'no stack trace': noStack(output),
      });
    },
  };
}

/** The ok cell's cache entry (after a build of it): its path under cache/ and its record. */
async function okEntry(sandbox: Sandbox) {
  await build(sandbox, ['ok']);
  const name = (await readdir(join(sandbox.root, 'cache/fake/ok'))).find((file) => file.startsWith('cpu.'))!;
  return { name, record: JSON.parse(await readFile(join(sandbox.root, 'cache/fake/ok', name), 'utf8')) };
}

/** An entry that parses but must not be shown as a result (its row is not ok, and has no number). */
function forgedKind(fault: string, forge: (record: Record<string, any>) => { record: object; target: string; file: string }, warning: RegExp): FaultKind {
  return {
    group: 'cache entries',
    fault,
    expected: 'verified on load: shown as invalid or not measured, never as a result, with a warning',
    async run(sandbox) {
      const { record } = await okEntry(sandbox);
      const forged = forge(structuredClone(record));
      const path = join(sandbox.root, 'cache/fake/ok', forged.file);
      await writeFile(path, json(forged.record));
      const done = await start(sandbox, 'build', ['--render-only', '--no-render']);
      const shown = await row(sandbox, 'ok', forged.target);
      await rm(path, { force: true });
      return verdict(`${forged.target} row: ${shown.status}${shown.reason ? `: ${shown.reason}` : ''}`.slice(0, 160), {
        'render-only exits 0': done.exitCode === 0,
        'the row shows no result': shown.status !== 'ok' && shown.result === null,
        [`a warning says ${warning}`]: warning.test(done.all ?? ''),
      });
    },
  };
}

const entryFile = (target: string, profile: string, key: string) => `${target}.fast.${profile}.${key}.json`;

/** Removes what the cache holds of these frameworks' gpu cells, so that they are planned again. */
async function forgetGpu(sandbox: Sandbox, frameworks: string[]) {
  for (const framework of frameworks) {
    const dir = join(sandbox.root, 'cache/fake', framework);
    for (const file of await readdir(dir).catch(() => [] as string[])) if (file.startsWith('gpu.')) await rm(join(dir, file));
  }
}

/** Runs the offline flow for these frameworks: plan for the gpu target, execute, then ingest. */
async function offline(sandbox: Sandbox, frameworks: string[], options: { editBundle?: (bundle: any) => void } = {}) {
  await forgetGpu(sandbox, frameworks);
  const plans = join(sandbox.aux, `plans-${frameworks.join('-')}`);
  await rm(plans, { recursive: true, force: true });
  await start(sandbox, 'plan', ['--target', 'gpu', '--framework', frameworks.join(','), '--out', plans]);
  const planFile = join(plans, (await readdir(plans))[0]);
  const bundle = join(sandbox.aux, `bundle-${frameworks.join('-')}.json`);
  const started = Date.now();
  const executed = await execa('python3', [join(sandbox.root, 'scripts/execute-plan.py'), planFile, '--bundle', bundle, '--python', 'python3'], { all: true, reject: false });
  const seconds = (Date.now() - started) / 1000;
  if (options.editBundle) {
    const value = JSON.parse(await readFile(bundle, 'utf8'));
    options.editBundle(value);
    await writeFile(bundle, JSON.stringify(value));
  }
  const ingested = await start(sandbox, 'ingest', [bundle]);
  return { executed, ingested, seconds, bundle };
}

/** A runner fault on the GPU flow (plan, execute-plan.py, ingest), beside an ok cell. */
function executorKind(fault: RunnerFault, status: string, reason: RegExp, expected: string): FaultKind {
  return {
    group: 'offline executor',
    fault,
    expected,
    async run(sandbox) {
      const { executed, ingested, seconds } = await offline(sandbox, ['ok', fault]);
      const [ok, shown] = [await row(sandbox, 'ok', 'gpu'), await row(sandbox, fault, 'gpu')];
      const left = await until(async () => (await survivors(sandbox)).length === 0, 3000);
      return verdict(`${shown.status}: ${shown.reason ?? ''} (executor ${seconds.toFixed(1)} s)`.slice(0, 160), {
        'the executor exits 0': executed.exitCode === 0,
        'the bundle is valid JSON and ingest stores every entry': ingested.exitCode === 0,
        'the ok cell beside it is stored': ok.status === 'ok',
        [`the row is ${status}`]: shown.status === status,
        [`the reason says ${reason}`]: reason.test(shown.reason ?? ''),
        'no process of the cell outlives it': left,
        'no stack trace': noStack(`${executed.all}\n${ingested.all}`),
      });
    },
  };
}

/** A bundle whose entry of the crash cell is edited after execution: that entry refused with its
 * reason, the ok cell's entry stored. */
function bundleKind(fault: string, edit: (entries: any[], index: number) => void, refusal: RegExp): FaultKind {
  return {
    group: 'bundles',
    fault,
    expected: 'that entry refused with its reason, every other entry stored, exit 1, no stack trace',
    async run(sandbox) {
      const editBundle = (bundle: { entries: { id: string }[] }) => edit(bundle.entries, bundle.entries.findIndex((entry) => entry.id.includes('/crash/')));
      const { ingested } = await offline(sandbox, ['ok', 'crash'], { editBundle });
      const ok = await row(sandbox, 'ok', 'gpu');
      return verdict((ingested.all?.split('\n').find((line) => line.startsWith('refused')) ?? 'nothing refused').slice(0, 160), {
        'ingest exits 1': ingested.exitCode === 1,
        [`the refusal says ${refusal}`]: refusal.test(ingested.all ?? ''),
        'the valid entry is stored': ok.status === 'ok',
        'no stack trace': noStack(ingested.all ?? ''),
      });
    },
  };
}

/** Content that must be refused with a clear message before anything runs or is written. */
function contentKind(fault: string, edit: (root: string) => Promise<void>, message: RegExp): FaultKind {
  return {
    group: 'content',
    fault,
    expected: 'exit 1 with a message naming the problem, no stack trace, nothing run or written',
    async run(sandbox) {
      const saved = join(sandbox.aux, 'content-saved');
      await rm(saved, { recursive: true, force: true });
      await cp(join(sandbox.root, 'content'), saved, { recursive: true });
      const before = await cacheFiles(sandbox);
      await edit(sandbox.root);
      const done = await build(sandbox, ['ok']);
      await rm(join(sandbox.root, 'content'), { recursive: true, force: true });
      await cp(saved, join(sandbox.root, 'content'), { recursive: true });
      return verdict((done.all?.split('\n').find((line) => line.startsWith('error')) ?? done.all ?? '').slice(0, 160), {
        'the build exits 1': done.exitCode === 1,
        [`the message says ${message}`]: message.test(done.all ?? ''),
        'nothing is run or stored': (await cacheFiles(sandbox)).join() === before.join(),
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  };
}

const editJson = async (path: string, edit: (value: any) => void) => {
  const value = JSON.parse(await readFile(path, 'utf8'));
  edit(value);
  await writeFile(path, json(value));
};

export const KINDS: FaultKind[] = [
  runnerKind('ok', 'ok', /^$/, 'ok, its result shown'),
  runnerKind('crash', 'failed', /exited with code 1: RuntimeError: boom/, 'failed with the last stderr line'),
  runnerKind('self-kill', 'failed', /killed by SIGKILL/, 'failed, naming the signal'),
  runnerKind('unavailable', 'unavailable', /No module named 'fake'/, 'unavailable with the import error'),
  runnerKind('hang', 'timeout', /within the 4 s timeout/, 'timeout at its timeout'),
  runnerKind('ignore-term', 'timeout', /timeout/, 'timeout; SIGKILL after the grace period, the build ends', TIMEOUT_S + 10),
  runnerKind('child-holds-stdout', 'ok', /^$/, 'ok: the result printed before the runner exited is kept, the child is killed, the build does not wait', TIMEOUT_S + 2),
  runnerKind('child-ignores-term', 'timeout', /timeout/, 'timeout; the child that ignores SIGTERM is killed with its group', TIMEOUT_S + 10),
  runnerKind('flood', 'invalid-output', /more than 16 MB on stdout/, 'invalid-output: stopped past 16 MB of output'),
  runnerKind('flood-one-line', 'invalid-output', /more than 16 MB on stdout/, 'invalid-output: one endless line is bounded too'),
  runnerKind('garbage', 'invalid-output', /not JSON: Epoch 1\/1/, 'invalid-output quoting the line'),
  runnerKind('nan', 'invalid-output', /not JSON/, 'invalid-output: NaN is not JSON, never a number'),
  runnerKind('infinity', 'invalid-output', /expected number, received Infinity/, 'invalid-output: 1e999 parses as Infinity, refused'),
  runnerKind('no-metric', 'invalid-output', /metric/, 'invalid-output naming the missing field'),
  runnerKind('negative-time', 'invalid-output', /not a finite positive number/, 'invalid-output: a negative time is not plausible'),
  runnerKind('median-outside', 'invalid-output', /outside \[min, max\]/, 'invalid-output: median outside [min, max]'),
  runnerKind('other-metric', 'invalid-output', /its metric is seconds_per_batch/, "invalid-output: another benchmark's metric"),
  runnerKind('other-param-count', 'invalid-output', /25557032 parameters/, "invalid-output: another network's parameter count"),
  runnerKind('bad-utf8', 'invalid-output', /not JSON/, 'invalid-output, no crash on bytes that are not UTF-8'),
  runnerKind('two-results', 'invalid-output', /2 result events/, 'invalid-output: exactly one result'),
  runnerKind('nothing', 'invalid-output', /without a result event/, 'invalid-output: exit 0 without a result'),
  {
    group: 'runner',
    fault: '200 MB of output: the build\'s memory',
    expected: 'the build stays under 300 MB of memory (output bounded in bytes)',
    async run(sandbox) {
      const measure = 'import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
      const done = await execa('python3', ['-c', measure, process.execPath, 'scripts/build.ts', '--target', 'cpu', '--mode', 'fast', '--framework', 'flood', '--no-render', '--remeasure'],
        { cwd: sandbox.root, env: sandbox.env });
      const mb = Number(done.stdout.trim()) / 1024;
      return verdict(`peak memory of the build ${mb.toFixed(0)} MB`, { 'under 300 MB': mb > 0 && mb < 300 });
    },
  },

  signalKind('SIGINT'),
  signalKind('SIGTERM'),
  {
    group: 'signals',
    fault: 'SIGKILL of the build while a runner works',
    expected: 'the runner is killed too (reaper); the next build takes over the lock and runs the cell',
    async run(sandbox) {
      const { child, running } = await buildUntilRunning(sandbox, 'slow');
      child.kill('SIGKILL');
      await child;
      const gone = await until(async () => (await survivors(sandbox)).length === 0, 5000);
      const next = await build(sandbox, ['ok']);
      return verdict(`runner ${gone ? 'killed' : 'still running'}; next build: ${next.all?.split('\n').find((line) => line.includes('took over')) ?? `exit ${next.exitCode}`}`, {
        'the runner started': running,
        'the runner and its group are killed within 5 s': gone,
        'the next build takes over the lock': /took over the lock/.test(next.all ?? '') && next.exitCode === 0,
      });
    },
  },
  {
    group: 'signals',
    fault: 'SIGINT at start-up (planning)',
    expected: 'the build stops; nothing is stored; the next build runs normally',
    async run(sandbox) {
      const before = await cacheFiles(sandbox);
      const child = build(sandbox, ['ok'], '--remeasure');
      await pause(150);
      child.kill('SIGINT');
      const done = await child;
      const after = await cacheFiles(sandbox);
      const next = await build(sandbox, ['ok']);
      return verdict(`exit ${done.exitCode ?? done.signal}; next build exit ${next.exitCode}`, {
        'nothing half-written': !after.some((file) => file.endsWith('.tmp')),
        'no completed result lost': before.every((file) => after.includes(file)),
        'the next build succeeds': next.exitCode === 0,
      });
    },
  },
  {
    group: 'signals',
    fault: 'a second SIGINT while the runner ignores SIGTERM',
    expected: 'the build quits at once (130) and its runner is killed',
    async run(sandbox) {
      const { child, running } = await buildUntilRunning(sandbox, 'ignore-term');
      child.kill('SIGINT');
      await pause(300);
      child.kill('SIGINT');
      const started = Date.now();
      const done = await child;
      const gone = await until(async () => (await survivors(sandbox)).length === 0, 3000);
      return verdict(`exit ${done.exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s; runner ${gone ? 'killed' : 'alive'}`, {
        'the runner started': running,
        'the build exits 130': done.exitCode === 130,
        'at once, not after the grace period': Date.now() - started < 3000,
        'the runner is killed': gone,
      });
    },
  },
  {
    group: 'two builds',
    fault: 'a second build while one runs',
    expected: 'the second refuses, naming the first; the first completes',
    async run(sandbox) {
      const { child, running } = await buildUntilRunning(sandbox, 'slow');
      const second = await build(sandbox, ['ok']);
      child.kill('SIGINT');
      await child;
      return verdict((second.all?.split('\n').find((line) => line.startsWith('error')) ?? '').slice(0, 160), {
        'the first build runs': running,
        'the second exits 1': second.exitCode === 1,
        'it names the first': /another npm run build is running on this tree \(pid \d+/.test(second.all ?? ''),
      });
    },
  },
  {
    group: 'two builds',
    fault: 'the lock of a build that died (its pid gone)',
    expected: 'taken over with a message',
    async run(sandbox) {
      await writeFile(join(sandbox.root, '.rosetta.lock'), JSON.stringify({ pid: 999999, host: hostname(), command: 'npm run build', started_at: '2026-12-01T00:00:00Z' }));
      const done = await build(sandbox, ['ok']);
      return verdict(done.all?.split('\n').find((line) => line.includes('took over')) ?? `exit ${done.exitCode}`, {
        'the build runs': done.exitCode === 0,
        'it says it took the lock over': /took over the lock of npm run build \(pid 999999/.test(done.all ?? ''),
      });
    },
  },
  {
    group: 'two builds',
    fault: 'a half-written lock file',
    expected: 'taken over',
    async run(sandbox) {
      await writeFile(join(sandbox.root, '.rosetta.lock'), '{"pid": 12');
      const done = await build(sandbox, ['ok']);
      return verdict(`exit ${done.exitCode}`, { 'the build runs and takes the lock over': done.exitCode === 0 && /took over the lock/.test(done.all ?? '') });
    },
  },

  cacheFileKind('not JSON', 'fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.json', (file) => writeFile(file, '{"entry_version": 1, "key": '), /not valid JSON/),
  cacheFileKind('an empty file', 'fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.json', (file) => writeFile(file, ''), /not valid JSON/),
  cacheFileKind('JSON of another shape', 'fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.json', (file) => writeFile(file, '[1, 2, 3]'), /not a valid cache entry/),
  cacheFileKind('a stray name', 'fake/ok/Notes From Alice.json', (file) => writeFile(file, '{}'), /not a cache entry \(a name no job has\)/),
  cacheFileKind('a folder named like an entry', 'fake/ok/cpu.fast.cpu.' + 'f'.repeat(64) + '.json', async (file) => { await mkdir(file, { recursive: true }); }, /not a cache entry \(not a plain file\)/),
  cacheFileKind('a link to a file outside', 'fake/ok/link.json', (file) => symlink('/etc/hostname', file), /not a cache entry \(not a plain file\)/),
  cacheFileKind('a binary file', 'fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.json', (file) => writeFile(file, Buffer.from([0, 159, 146, 150, 255])), /not valid JSON/),
  cacheFileKind('a corrupt record in history/', 'history/fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.20261201000000000.json', (file) => writeFile(file, 'garbage'), /cache\/history\/fake\/ok\/cpu\.fast\.cpu\.e+\.20261201000000000\.json is not valid JSON/),
  cacheFileKind('a stray file at the top of cache/', 'README.json', (file) => writeFile(file, '{"hello": "world"}'), /README.json is not a valid cache entry|README.json is not a cache entry/),
  cacheFileKind('an entry whose cell differs from its path', 'fake/ok/cpu.fast.cpu.' + 'e'.repeat(64) + '.json', async (file, sandbox) => {
    const { record } = await okEntry(sandbox);
    await writeFile(file, json(record));
  }, /does not match its file name/),

  forgedKind('a cpu entry copied as a gpu result', (record) => {
    record.cell = { ...record.cell, target: 'gpu', profile: 'full' };
    return { record, target: 'gpu', file: entryFile('gpu', 'full', record.key) };
  }, /its inputs are those of fake\/ok\/cpu\/fast\/cpu/),
  forgedKind('a copied entry with its inputs edited too', (record) => {
    record.cell = { ...record.cell, target: 'gpu', profile: 'full' };
    record.inputs.cell = record.cell;
    record.inputs.target = { ...record.inputs.target, device: 'cuda' };
    return { record, target: 'gpu', file: entryFile('gpu', 'full', record.key) };
  }, /its key is not the hash of its inputs/),
  forgedKind('an edited median (key kept)', (record) => {
    record.result.metric.median = 0.01;
    return { record, target: 'cpu', file: entryFile('cpu', 'cpu', record.key) };
  }, /outside \[min, max\]/),
  forgedKind('ok without a result', (record) => {
    record.result = null;
    return { record, target: 'cpu', file: entryFile('cpu', 'cpu', record.key) };
  }, /ok without a result/),
  forgedKind('a negative time', (record) => {
    record.result.metric = { ...record.result.metric, samples: [-1], median: -1, min: -1, max: -1 };
    return { record, target: 'cpu', file: entryFile('cpu', 'cpu', record.key) };
  }, /not a finite positive number/),
  forgedKind("another benchmark's parameter count", (record) => {
    record.result.param_count = 25557032;
    return { record, target: 'cpu', file: entryFile('cpu', 'cpu', record.key) };
  }, /25557032 parameters/),
  {
    group: 'cache files',
    fault: 'a half-written file left by a killed write (.tmp)',
    expected: 'ignored; the build goes on',
    async run(sandbox) {
      await build(sandbox, ['ok']);
      await writeFile(join(sandbox.root, 'cache/fake/ok/cpu.fast.cpu.x.json.1234.abcd.tmp'), '{"half');
      const done = await start(sandbox, 'build', ['--render-only', '--no-render']);
      await rm(join(sandbox.root, 'cache/fake/ok/cpu.fast.cpu.x.json.1234.abcd.tmp'));
      return verdict(`exit ${done.exitCode}`, { 'the build goes on': done.exitCode === 0, 'the result is still shown': (await row(sandbox, 'ok')).status === 'ok' });
    },
  },
  {
    group: 'cache folder',
    fault: 'cache/ cannot be written (a file where the folder must be)',
    expected: 'found before any cell runs: exit 1, a message naming the folder, no stack trace',
    async run(sandbox) {
      await rm(join(sandbox.root, 'cache'), { recursive: true, force: true });
      await writeFile(join(sandbox.root, 'cache'), 'not a folder');
      const pidsBefore = await readFile(sandbox.pids, 'utf8').catch(() => '');
      const done = await build(sandbox, ['slow'], '--remeasure');
      await rm(join(sandbox.root, 'cache'));
      return verdict((done.all?.split('\n').find((line) => line.startsWith('error')) ?? '').slice(0, 160), {
        'the build exits 1': done.exitCode === 1,
        'the message names the cache folder': /the cache folder cache cannot be read \(ENOTDIR\)/.test(done.all ?? ''),
        'no runner was started': (await readFile(sandbox.pids, 'utf8').catch(() => '')) === pidsBefore,
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  },
  {
    group: 'cache folder',
    fault: 'the cache becomes unwritable while a cell runs',
    expected: 'the measurement is kept elsewhere and its path printed; exit 1; no stack trace',
    async run(sandbox) {
      await rm(join(sandbox.root, 'cache'), { recursive: true, force: true });
      const { child, running } = await buildUntilRunning(sandbox, 'slow');
      await rm(join(sandbox.root, 'cache'), { recursive: true, force: true });
      await writeFile(join(sandbox.root, 'cache'), 'not a folder any more');
      const done = await child;
      await rm(join(sandbox.root, 'cache'));
      const kept = /kept at (\S+\.json)/.exec(done.all ?? '')?.[1];
      const record = kept ? JSON.parse(await readFile(kept, 'utf8').catch(() => '{}')) : {};
      if (kept) await rm(kept, { force: true });
      return verdict((done.all?.split('\n').find((line) => line.includes('NOT STORED')) ?? '').slice(0, 160), {
        'the runner ran': running,
        'the build exits 1': done.exitCode === 1,
        'the record is kept at a printed path': record.status === 'ok' && record.result?.metric?.median === 1.5,
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  },

  executorKind('nan', 'invalid-output', /not JSON/, 'that cell invalid-output; the bundle stays valid JSON, the others are stored'),
  executorKind('no-metric', 'invalid-output', /metric/, 'that cell invalid-output; the executor goes on to the next cell'),
  executorKind('child-holds-stdout', 'ok', /^$/, 'ok; the executor does not wait for the child'),
  executorKind('ignore-term', 'timeout', /timeout/, 'timeout; the group is killed'),
  executorKind('flood', 'invalid-output', /more than 16 MB/, 'invalid-output; output bounded'),
  executorKind('pinned', 'failed', /pip \S+ \(pinned 0\.0\.1\)/, 'failed, naming the installed and the pinned version: not run'),
  {
    group: 'offline executor',
    fault: 'SIGKILL of the executor while a runner works',
    expected: 'the runner is killed too (reaper)',
    async run(sandbox) {
      const plans = join(sandbox.aux, 'plans-kill');
      await start(sandbox, 'plan', ['--target', 'gpu', '--framework', 'slow', '--out', plans]);
      const before = (await survivors(sandbox)).length;
      const child = execa('python3', [join(sandbox.root, 'scripts/execute-plan.py'), join(plans, (await readdir(plans))[0]), '--bundle', join(sandbox.aux, 'killed.json'), '--python', 'python3'], { reject: false });
      const running = await until(async () => (await survivors(sandbox)).length > before, 15_000);
      child.kill('SIGKILL');
      await child;
      const gone = await until(async () => (await survivors(sandbox)).length === 0, 5000);
      return verdict(`runner ${gone ? 'killed' : 'still running'}`, { 'the runner started': running, 'the runner is killed within 5 s': gone });
    },
  },
  {
    group: 'offline executor',
    fault: 'SIGTERM of the executor',
    expected: 'exit 130; the completed cells are in the bundle',
    async run(sandbox) {
      const plans = join(sandbox.aux, 'plans-term');
      await forgetGpu(sandbox, ['crash', 'slow']);
      await start(sandbox, 'plan', ['--target', 'gpu', '--framework', 'crash,slow', '--out', plans]);
      const bundle = join(sandbox.aux, 'term.json');
      const child = execa('python3', [join(sandbox.root, 'scripts/execute-plan.py'), join(plans, (await readdir(plans))[0]), '--bundle', bundle, '--python', 'python3'], { reject: false, all: true });
      const running = await until(async () => (await exists(bundle)) && (await survivors(sandbox)).length > 0, 15_000);
      child.kill('SIGTERM');
      const done = await child;
      const entries = JSON.parse(await readFile(bundle, 'utf8').catch(() => '{"entries": []}')).entries;
      return verdict(`exit ${done.exitCode}; ${entries.length} entry in the bundle`, {
        'the slow runner started': running,
        'the executor exits 130': done.exitCode === 130,
        'the completed cell is in the bundle': entries.length === 1 && entries[0].id.includes('crash'),
      });
    },
  },

  bundleKind('an entry whose key is not the hash of its inputs', (entries, i) => (entries[i].key = 'f'.repeat(64)), /key is not the hash of its recorded inputs/),
  bundleKind('an entry with a malformed raw outcome', (entries, i) => (entries[i].raw.stdout = 'not a list'), /invalid entry/),
  bundleKind('an entry of a cell not in the matrix', (entries, i) => (entries[i].id = 'fake/removed/gpu/fast/full'), /not in the declared matrix/),
  bundleKind('an entry whose inputs changed since the plan', (entries, i) => {
    entries[i].inputs.params = { repeats: 7 };
    entries[i].key = cellKey(entries[i].inputs);
  }, /stale: the inputs changed since the plan was written \(params\.repeats\)/),
  bundleKind('an entry that is not an object', (entries, i) => (entries[i] = 'hello'), /invalid entry/),
  bundleKind('an entry without its installed versions', (entries, i) => delete entries[i].installed, /invalid entry[\s\S]*installed/),
  {
    group: 'bundles',
    fault: 'a bundle that is not JSON, ingested with a good one',
    expected: 'that bundle reported, the good one stored, exit 1',
    async run(sandbox) {
      const { bundle } = await offline(sandbox, ['ok']);
      await rm(join(sandbox.root, 'cache/fake/ok'), { recursive: true, force: true }); // to see it stored again
      const broken = join(sandbox.aux, 'broken.json');
      await writeFile(broken, '{"bundle_version": 3, "entries": [NaN');
      const done = await start(sandbox, 'ingest', [broken, bundle]);
      return verdict((done.all?.split('\n').find((line) => line.startsWith('error')) ?? '').slice(0, 160), {
        'ingest exits 1': done.exitCode === 1,
        'the broken bundle is named': /broken.json: cannot read the bundle/.test(done.all ?? ''),
        'the good bundle is stored': (await row(sandbox, 'ok', 'gpu')).status === 'ok',
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  },
  {
    group: 'bundles',
    fault: 'a bundle of another version',
    expected: 'a clear error naming the version',
    async run(sandbox) {
      const file = join(sandbox.aux, 'old.json');
      await writeFile(file, JSON.stringify({ bundle_version: 2, target: 'gpu', plan_created_at: 'x', entries: [] }));
      const done = await start(sandbox, 'ingest', [file]);
      return verdict((done.all?.split('\n')[0] ?? '').slice(0, 160), {
        'ingest exits 1': done.exitCode === 1,
        'it says what the file is not': /not a result bundle/.test(done.all ?? '') && /bundle_version/.test(done.all ?? ''),
        'no stack trace': noStack(done.all ?? ''),
      });
    },
  },

  contentKind('a framework listed twice in implements', (root) => editJson(join(root, 'content/frameworks/ok.json'), (f) => (f.implements = ['fake', 'fake'])), /each item once[\s\S]*at implements/),
  contentKind('a benchmark id that is a cache folder (history)', async (root) => {
    await editJson(join(root, 'content/benchmarks/fake.json'), (b) => (b.id = 'history'));
    await cp(join(root, 'content/benchmarks/fake.json'), join(root, 'content/benchmarks/history.json'));
    await rm(join(root, 'content/benchmarks/fake.json'));
  }, /benchmark id "history" is reserved/),
  contentKind('an absolute runner_dir', (root) => editJson(join(root, 'content/frameworks/ok.json'), (f) => (f.runner_dir = '/tmp')), /a relative path inside the repository[\s\S]*at runner_dir/),
  contentKind('a requirements path with ..', (root) => editJson(join(root, 'content/frameworks/ok.json'), (f) => (f.environment.requirements = 'runners/../package.json')), /without \. or \.\. parts[\s\S]*at environment\.requirements/),
  contentKind('an id that is not its file name', (root) => editJson(join(root, 'content/frameworks/ok.json'), (f) => (f.id = 'crash')), /must match its file name/),
  contentKind('a content file that is not JSON', (root) => writeFile(join(root, 'content/targets/cpu.json'), '{ "id": "cpu", '), /cpu.json is not valid JSON/),
  contentKind('a missing content folder', (root) => rm(join(root, 'content/targets'), { recursive: true }), /cannot read .*content\/targets \(ENOENT\)/),
  contentKind('a mode listed twice', (root) => editJson(join(root, 'content/benchmarks/fake.json'), (b) => (b.modes = ['fast', 'fast'])), /each item once[\s\S]*at modes/),
  contentKind('an id with a path in it', (root) => editJson(join(root, 'content/frameworks/ok.json'), (f) => (f.id = '../ok')), /lower-case letters, digits and dashes/),
  {
    group: 'content',
    fault: 'a benchmark removed from content/',
    expected: 'its dataset is removed from content/results/',
    async run(sandbox) {
      await build(sandbox, ['ok']);
      const stale = join(sandbox.root, 'content/results/removed-benchmark.json');
      await writeFile(stale, '{"benchmark": "removed-benchmark", "rows": []}\n');
      const done = await start(sandbox, 'build', ['--render-only', '--no-render']);
      return verdict(`exit ${done.exitCode}; ${(await exists(stale)) ? 'still there' : 'removed'}`, {
        'the build exits 0': done.exitCode === 0,
        'the dataset of the removed benchmark is gone': !(await exists(stale)),
      });
    },
  },
  {
    group: 'filters',
    fault: '--profile smoke after a full build',
    expected: 'the datasets do not change: a trial at another profile never empties the report',
    async run(sandbox) {
      await build(sandbox, ['ok']);
      const before = await readFile(join(sandbox.root, 'content/results/fake.json'), 'utf8');
      const done = await build(sandbox, ['ok'], '--profile', 'smoke');
      const after = await readFile(join(sandbox.root, 'content/results/fake.json'), 'utf8');
      const smoke = (await cacheFiles(sandbox)).some((file) => file.includes('cpu.fast.smoke.'));
      return verdict(`datasets ${before === after ? 'unchanged' : 'CHANGED'}; the smoke result ${smoke ? 'is' : 'is not'} in cache/`, {
        'the build exits 0': done.exitCode === 0,
        'the datasets are unchanged': before === after,
        'the smoke result is kept in the cache': smoke,
      });
    },
  },
];

/** Runs one kind; an exception inside it is its failure, never the end of the suite. */
export async function tryKind(kind: FaultKind, sandbox: Sandbox): Promise<Observed> {
  try {
    return await kind.run(sandbox);
  } catch (error) {
    return { outcome: `the kind itself threw: ${(error as Error).message.split('\n')[0]}`, failures: ['the kind ran to its end'] };
  } finally {
    await rm(sandbox.pids, { force: true });
  }
}
