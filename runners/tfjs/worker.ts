// What the three TensorFlow.js runners share and is not the framework's business: the WASM backend's
// start (and the two kernels it lacks, kernels.ts), .npy files in and out, and the requests of the
// Python host (host.py), one JSON object a line on standard input, one reply a line on standard output.
// The host owns the cell (spec, data, canonical weights, batch order, repeats, clocks, result); a
// runner builds its network and its step from them and answers the requests below (serve).
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import './kernels.ts';

// Standard output carries the replies only: TF.js's own messages go to standard error.
const reply = process.stdout.write.bind(process.stdout);
console.log = console.info = console.error;

export type Cell = { benchmark: string; mode: string; device: string; seed: number; params: Record<string, number> };
const dir = process.argv[2];
export const cell: Cell = JSON.parse(readFileSync(join(dir, 'cell.json'), 'utf8'));

/** An .npy file of the host's folder (NAME.npy) or at a path: little-endian float32 or int32, C order. */
export function loadArray(name: string): { data: Float32Array | Int32Array; shape: number[] } {
  const bytes = readFileSync(isAbsolute(name) ? name : join(dir, `${name}.npy`));
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  const dtype = header.match(/'descr': '([^']+)'/)![1];
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLength);
  const copy = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength); // aligned for the typed array
  if (dtype === '<f4') return { data: new Float32Array(copy), shape };
  if (dtype === '<i4') return { data: new Int32Array(copy), shape };
  throw new Error(`${name}: dtype ${dtype}, not float32 or int32`);
}

/** An .npy file as a TF.js tensor, on the current backend (the WASM backend keeps it in its memory). */
export function load(name: string): tf.Tensor {
  const { data, shape } = loadArray(name);
  return tf.tensor(data, shape);
}

/** Writes a float32 tensor as an .npy file. */
function save(path: string, t: tf.Tensor): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${t.shape.join(', ')}${t.rank === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const prefix = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.alloc(2), Buffer.from(header, 'latin1')]);
  prefix.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(new Float32Array(t.dataSync()).buffer)]));
}

/** TF.js on its WebAssembly backend; what ran, read back from the backend. The CPU only: the WASM
 * backend never uses a GPU, so a cuda cell fails rather than fall back. */
export async function wasmBackend(): Promise<Record<string, unknown>> {
  if (cell.device !== 'cpu') throw new Error(`TF.js's WebAssembly backend runs on the CPU only, not ${cell.device}`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend did not start');
  // the flags from which the backend chose its binary (TF.js sets multithreading false under Node)
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const build = simd && multithread ? 'threaded-simd' : simd ? 'simd' : 'plain';
  const threads = getThreadsCount();
  return {
    framework_version: `${tf.version.tfjs} (${tf.getBackend()}, ${build}, ${threads} thread${threads > 1 ? 's' : ''}, Node ${process.versions.node})`,
    wasm: { backend: tf.getBackend(), build, simd, multithread, threads, node: process.versions.node },
  };
}

/** What a runner answers: every training runner reset / step / epoch / evaluate, the inference
 * runner pass / checksum, both forward (the check's probe, in inference mode, after reset(0) where
 * the runner loads its canonical weights there). */
export type Runner = {
  info: Record<string, unknown>;
  forward: (x: tf.Tensor) => tf.Tensor;
  warmup: (steps: number) => Promise<void>;
  reset?: (repeat: number) => void;
  trainStep?: (idx: tf.Tensor) => tf.Scalar;
  epoch?: (epoch: number) => Promise<number>;
  evaluate?: () => number;
  dropout?: (on: boolean) => void;
  weights?: () => Record<string, tf.Tensor>;
  pass?: () => Promise<void>;
  checksum?: () => number;
};

/** The check's training part: dropout off, reset(0), `steps` steps on the batch in `idx`, the losses,
 * and the trained weights written to `out` as NAME.npy by the runner's names. */
function trainCheck(runner: Runner, idxPath: string, steps: number, out: string): { losses: number[]; names: string[] } {
  runner.dropout!(false);
  runner.reset!(0);
  const idx = load(idxPath);
  const losses = Array.from({ length: steps }, () => { const loss = runner.trainStep!(idx); const v = loss.dataSync()[0]; loss.dispose(); return v; });
  runner.dropout!(true);
  const weights = runner.weights!();
  for (const [name, w] of Object.entries(weights)) save(join(out, `${name}.npy`), w);
  return { losses, names: Object.keys(weights) };
}

/** Answers the host's requests until standard input ends. The first line out says the runner is ready. */
export async function serve(runner: Runner): Promise<void> {
  reply(JSON.stringify({ ready: runner.info }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const request = JSON.parse(line);
    try {
      const value = await ({
        warmup: () => runner.warmup(request.steps),
        reset: () => runner.reset!(request.repeat),
        epoch: () => runner.epoch!(request.epoch),
        evaluate: () => runner.evaluate!(),
        pass: () => runner.pass!(),
        checksum: () => runner.checksum!(),
        forward: () => { runner.reset?.(0); tf.tidy(() => save(request.out, runner.forward(load(request.x)))); },
        train: () => trainCheck(runner, request.idx, request.steps, request.out),
        step: () => { runner.reset!(request.repeat); return tf.tidy(() => runner.trainStep!(load(request.idx) as tf.Tensor1D).dataSync()[0]); },
      } as Record<string, () => unknown>)[request.op]();
      reply(JSON.stringify({ ok: value ?? null }) + '\n');
    } catch (error) {
      reply(JSON.stringify({ error: `${(error as Error).stack ?? error}` }) + '\n');
    }
  }
}
