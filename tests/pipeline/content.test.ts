import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadContent } from '../../src/pipeline/content.ts';
import { REFERENCE_2017, todayOf } from '../../src/report/reference.ts';
import { copyProject } from './project.ts';
import type { Project } from './project.ts';

let project: Project;
beforeEach(async () => {
  project = await copyProject();
});
afterEach(() => project.remove());

async function edit(path: string, change: (value: any) => void) {
  const file = join(project.root, path);
  const value = JSON.parse(await readFile(file, 'utf8'));
  change(value);
  await writeFile(file, JSON.stringify(value));
}

describe('content validation', () => {
  test('the declared content is valid', async () => {
    const content = await loadContent(project.root);
    expect(content.benchmarks.map((b) => b.id)).toEqual(['cnn-cifar10', 'resnet50-features', 'gru-imdb']);
    expect(content.targets.map((t) => t.id)).toEqual(['cpu', 'h100', 'h200']);
  });

  test("every framework of today that a framework of the 2017 study maps to is declared in content/frameworks", async () => {
    const declared = (await loadContent(project.root)).frameworks.map((f) => f.id);
    const mapped = REFERENCE_2017.frameworks.rows.map(todayOf).filter((id): id is string => id !== null);
    expect(mapped.filter((id) => !declared.includes(id))).toEqual([]);
  });

  test('a bad value names the file and the field', async () => {
    await edit('content/benchmarks/gru-imdb.json', (b) => (b.modes = ['fp16']));
    await expect(loadContent(project.root)).rejects.toThrow(/gru-imdb\.json is invalid:[\s\S]*modes/);
  });

  test('a file that is not JSON is named', async () => {
    await writeFile(join(project.root, 'content/targets/h200.json'), '{ "id": ');
    await expect(loadContent(project.root)).rejects.toThrow(/h200\.json is not valid JSON/);
  });

  test('a framework that implements an unknown benchmark is rejected', async () => {
    await edit('content/frameworks/pytorch.json', (f) => f.implements.push('lstm-ptb'));
    await expect(loadContent(project.root)).rejects.toThrow(/unknown benchmark "lstm-ptb"/);
  });

  test("a framework's reasons for the benchmarks it has no runner for name known benchmarks it does not implement", async () => {
    await edit('content/frameworks/onnxruntime.json', (f) => (f.unsupported = { ...f.unsupported, 'lstm-ptb': 'no LSTM' }));
    await expect(loadContent(project.root)).rejects.toThrow(/onnxruntime: unknown benchmark "lstm-ptb" in unsupported/);
    await edit('content/frameworks/onnxruntime.json', (f) => (f.unsupported = { 'resnet50-features': 'an inference engine' }));
    await expect(loadContent(project.root)).rejects.toThrow(/onnxruntime both implements resnet50-features and gives a reason in unsupported/);
    await edit('content/frameworks/onnxruntime.json', (f) => (f.unsupported = { 'gru-imdb': '' }));
    await expect(loadContent(project.root)).rejects.toThrow(/onnxruntime\.json is invalid:[\s\S]*unsupported/);
  });

  test('a framework whose runner file is missing is rejected with the path', async () => {
    await rm(join(project.root, 'runners/pytorch/gru_imdb.py'));
    await expect(loadContent(project.root)).rejects.toThrow(/needs runners\/pytorch\/gru_imdb\.py, which does not exist/);
  });

  test("a record whose id differs from its file name is rejected", async () => {
    await edit('content/targets/h200.json', (t) => (t.id = 'h300'));
    await expect(loadContent(project.root)).rejects.toThrow(/must match its file name/);
  });
});
