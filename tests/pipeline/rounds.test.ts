// Interleaved rounds: the cells of one group are started one at a time, then each round gives every
// cell one repeat, one process working at a time; a waiting runner's timeout clock is stopped.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import type { PlannedCell } from '../../src/pipeline/plan.ts';
import { runInRounds } from '../../src/pipeline/run.ts';
import type { JobOutcome, Launched } from '../../src/pipeline/run.ts';
import { CELL, EXPECTED } from './fixtures.ts';
import { ROOT } from './project.ts';
import { silentReporter } from './silent.ts';

const FAKES = join(import.meta.dirname, 'fake_runners');
const content = await loadContent(ROOT);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rosetta-rounds-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function launched(name: string, env: Record<string, string> = {}, timeoutS = 30): Launched {
  const cell = { ...CELL, framework: name };
  const planned = { kind: 'cell', id: `${CELL.benchmark}/${name}`, cell, key: 'k', timeoutS, expected: EXPECTED } as PlannedCell;
  return { job: planned, launch: { file: 'python3', args: ['rounds.py', '--cell', '-'], env: { NAME: name, ROUNDS_LOG: join(dir, 'log'), ...env }, display: [] } };
}

async function run(group: Launched[], options: { signal?: AbortSignal; stopAfterFirst?: boolean; freeMemory?: () => number } = {}) {
  const outcomes = new Map<string, JobOutcome>();
  const unfinished = await runInRounds(group, {
    root: FAKES,
    content,
    reporter: silentReporter(),
    signal: options.signal,
    freeMemory: options.freeMemory ?? (() => Number.MAX_SAFE_INTEGER),
    position: () => [1, group.length],
    onOutcome: async (job, outcome) => {
      outcomes.set(job.cell.framework, outcome);
      return options.stopAfterFirst ?? false;
    },
  });
  const log = (await readFile(join(dir, 'log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  return { outcomes, unfinished: unfinished.map((job) => job.cell.framework), log };
}

describe('interleaved rounds', () => {
  test('cells of one group are set up one at a time, then run their repeats round-robin', async () => {
    const { outcomes, log } = await run([launched('a'), launched('b'), launched('c')]);
    expect(log).toEqual(['a setup', 'b setup', 'c setup', 'a repeat 1', 'b repeat 1', 'c repeat 1', 'a repeat 2', 'b repeat 2', 'c repeat 2']);
    expect([...outcomes.values()].map((outcome) => outcome.status)).toEqual(['ok', 'ok', 'ok']);
  });

  test('a cell alone runs all its repeats without waiting for turns', async () => {
    const { outcomes, log } = await run([launched('a')]);
    expect(log).toEqual(['a setup', 'a repeat 1', 'a repeat 2']);
    expect(outcomes.get('a')?.status).toBe('ok');
  });

  test('the timeout counts a runner\'s own work, not the time it waits for its turn', async () => {
    // b works 2 x 3 s while a waits; a's 5 s timeout is not used up by b's repeats.
    const { outcomes } = await run([launched('a', {}, 5), launched('b', { REPEAT_S: '3' })]);
    expect(outcomes.get('a')?.status).toBe('ok');
    expect(outcomes.get('b')?.status).toBe('ok');
  }, 30_000);

  test('a runner past its timeout while working is stopped and recorded as timeout; the others go on', async () => {
    const { outcomes, log } = await run([launched('a', { REPEAT_S: '30' }, 2), launched('b')]);
    expect(outcomes.get('a')?.status).toBe('timeout');
    expect(outcomes.get('b')?.status).toBe('ok');
    expect(log).toContain('b repeat 2');
  }, 30_000);

  test('an abort stops the working runner and every waiting one, and stores nothing for them', async () => {
    const controller = new AbortController();
    const group = [launched('a', { REPEAT_S: '30' }), launched('b')];
    // Abort once a works on its first repeat (b has started and waits for its turn).
    const watch = setInterval(async () => {
      const log = await readFile(join(dir, 'log'), 'utf8').catch(() => '');
      if (log.includes('a repeat 1')) controller.abort();
    }, 50);
    try {
      const { outcomes, unfinished, log } = await run(group, { signal: controller.signal });
      expect(outcomes.size).toBe(0);
      expect(unfinished.sort()).toEqual(['a', 'b']);
      expect(log).toEqual(['a setup', 'b setup', 'a repeat 1']);
    } finally {
      clearInterval(watch);
    }
  }, 30_000);

  test('when an outcome asks to stop (--strict), the runners still waiting are stopped', async () => {
    const bad = launched('a');
    bad.launch.args = ['crash.py', '--cell', '-'];
    const { outcomes, unfinished } = await run([launched('b'), bad], { stopAfterFirst: true });
    expect(outcomes.get('a')?.status).toBe('failed');
    expect(outcomes.has('b')).toBe(false);
    expect(unfinished).toEqual(['b']);
  });

  test('no more runners wait at once than the memory holds: the rest start after their rounds', async () => {
    // A machine with 10 GiB free where each living runner takes 2 GiB (read from the log: set up and
    // not yet through its last repeat): a, b and c fit with the 2 GiB reserve and twice the largest
    // runner left over before each start; d starts once they are done.
    const GiB = 1024 ** 3;
    const living = () => {
      const path = join(dir, 'log');
      const log = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []; // none: nothing started yet
      return log.filter((line) => line.endsWith(' setup')).length - log.filter((line) => line.endsWith(' repeat 2')).length;
    };
    const freeMemory = () => 10 * GiB - 2 * GiB * living();
    const { outcomes, log } = await run(['a', 'b', 'c', 'd'].map((name) => launched(name)), { freeMemory });
    expect(log).toEqual(['a setup', 'b setup', 'c setup', 'a repeat 1', 'b repeat 1', 'c repeat 1', 'a repeat 2', 'b repeat 2', 'c repeat 2',
      'd setup', 'd repeat 1', 'd repeat 2']);
    expect([...outcomes.values()].every((outcome) => outcome.status === 'ok')).toBe(true);
  });

  test('a runner that alone takes more than the memory still runs, one at a time', async () => {
    const { outcomes, log } = await run([launched('a'), launched('b')], { freeMemory: () => 0 });
    expect(log).toEqual(['a setup', 'a repeat 1', 'a repeat 2', 'b setup', 'b repeat 1', 'b repeat 2']);
    expect(outcomes.size).toBe(2);
  });
});

