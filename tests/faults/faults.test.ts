// The fault-injection suite: every kind of tests/faults/kinds.ts injected into a sandbox project
// (sandbox.ts) with fake runners, and what must hold under it asserted; and where the pipeline
// writes, whatever its runners do.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KINDS, tryKind } from './kinds.ts';
import { build, makeSandbox, snapshot, start } from './sandbox.ts';
import type { Sandbox } from './sandbox.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await makeSandbox();
});
afterAll(() => sandbox.remove());

describe.each([...new Set(KINDS.map((kind) => kind.group))])('faults: %s', (group) => {
  test.each(KINDS.filter((kind) => kind.group === group).map((kind) => [kind.fault, kind] as const))('%s', async (_fault, kind) => {
    const observed = await tryKind(kind, sandbox);
    expect(observed.failures, `${kind.expected}\nobserved: ${observed.outcome}`).toEqual([]);
  }, 120_000);
});

describe('where the pipeline writes', () => {
  test('nothing is written outside cache/, content/results/, dist/, plans/ and the environments folder', async () => {
    const own = await makeSandbox();
    try {
      const allowed = ['cache/', 'content/results/', 'dist/', 'plans/', '.venvs/'];
      const outside = (files: Map<string, string>) => new Map([...files].filter(([path]) => !allowed.some((dir) => `${path}/`.startsWith(dir))));
      const before = outside(await snapshot(own.root));
      const around = await readdir(join(own.root, '..'));
      // Every command, with runners that succeed, fail, flood and hang, and the offline flow.
      await build(own, ['ok', 'crash', 'flood', 'garbage', 'hang']);
      await start(own, 'plan', ['--target', 'gpu', '--framework', 'ok,nan']);
      const plan = join(own.root, 'plans', (await readdir(join(own.root, 'plans')))[0]);
      const bundle = join(own.aux, 'bundle.json');
      await execa('python3', ['scripts/execute-plan.py', plan, '--bundle', bundle, '--python', 'python3'], { cwd: own.root });
      await start(own, 'ingest', [bundle]);
      await build(own, ['ok'], '--remeasure');
      await start(own, 'build', ['--render-only', '--no-render']);
      await start(own, 'prune', ['--keep', '0', '--apply']);
      expect([...outside(await snapshot(own.root)).keys()].sort()).toEqual([...before.keys()].sort());
      for (const [path, stamp] of before) expect(outside(await snapshot(own.root)).get(path), path).toBe(stamp);
      expect((await readdir(join(own.root, '..'))).sort()).toEqual(around.sort());
      expect((await readdir(join(own.root, 'cache/fake/ok'))).length).toBeGreaterThan(0);
    } finally {
      await own.remove();
    }
  }, 120_000);
});
