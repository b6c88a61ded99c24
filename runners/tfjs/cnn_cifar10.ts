// cnn-cifar10, TensorFlow.js (its WebAssembly backend, in Node): trains a small VGG-style CNN on
// CIFAR-10 with SGD + momentum from the canonical initial weights and measures the training time of
// all epochs (host.py's clock brackets each epoch; the epoch ends by reading its mean loss back), then
// the test accuracy (untimed). Spec: shared/benchmarks.md. Run by host.py, which owns the cell.
// The network is tfjs ops on tf.variable weights: tf.layers' Dropout, given a seed, draws the same mask
// at every step (and without one draws from Math.random), so the spec's seeded masks are tf.dropout's.
// fp32: TF.js's own kernels, one per op (conv2d, then bias add, then ReLU). fast: tf.fused.conv2d and
// tf.fused.matMul (XNNPACK adds the bias and applies the ReLU in the same pass), and the input
// gradient of the convolutions as an XNNPACK convolution (kernels.ts) in place of the backend's loop.
// The WASM backend has no kernel for a convolution's filter gradient: kernels.ts adds it.

import * as tf from '@tensorflow/tfjs';
import { fastKernels } from './kernels.ts';
import { cell, load, serve, wasmBackend } from './worker.ts';

// #############################################
// #              Hyper-parameters             #
// #############################################

const hp = cell.params; // train_images, test_images, epochs, batch_size, lr, momentum, repeats
const backend = await wasmBackend(); // the CPU only: the WASM backend never uses a GPU
const fastPath = cell.mode === 'fast' ? ['tf.fused (conv2d, matMul)', 'Conv2DBackpropInput as an XNNPACK Conv2D', 'BatchMatMul untransposed'] : []; // fp32: TF.js's kernels
if (fastPath.length) fastKernels();

// #############################################
// #                    Data                   #
// #############################################

// float32 NHWC in [0, 1] (TF.js's layout), int32 labels: backend tensors, in the WASM module's memory
const [xTrain, yTrain, xTest, yTest] = ['x_train', 'y_train', 'x_test', 'y_test'].map(load);

// #############################################
// #                  Network                  #
// #############################################

// The canonical layout is TF.js's own (HWIO kernels, (in, out) dense, NHWC flatten): no conversion.
const names = ['conv1', 'conv2', 'conv3', 'conv4', 'dense1', 'dense2'].flatMap((l) => [`${l}.kernel`, `${l}.bias`]);
const canonical = Object.fromEntries(names.map((name) => [name, load(`weights/${name}`)]));
const w = Object.fromEntries(names.map((name) => [name, tf.variable(canonical[name], true, name)]));
const paramCount = names.reduce((sum, name) => sum + w[name].size, 0);

let training = true; // dropout on (the check and the evaluation switch it off)
let dropoutSeed = 0; // reset(repeat) starts it at seed + repeat; every mask takes the next one
const dropout = (x: tf.Tensor, rate: number) => (training ? tf.dropout(x, rate, undefined, dropoutSeed++) : x);

function conv(x: tf.Tensor4D, name: string): tf.Tensor4D {
  const [filter, bias] = [w[`${name}.kernel`] as tf.Tensor4D, w[`${name}.bias`]];
  if (fastPath.length) return tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation: 'relu' });
  return tf.relu(tf.add(tf.conv2d(x, filter, 1, 'same'), bias));
}

function dense(x: tf.Tensor2D, name: string, activation: 'relu' | 'linear'): tf.Tensor2D {
  const [kernel, bias] = [w[`${name}.kernel`] as tf.Tensor2D, w[`${name}.bias`]];
  if (fastPath.length) return tf.fused.matMul({ a: x, b: kernel, bias, activation });
  const y = tf.add(tf.matMul(x, kernel), bias);
  return activation === 'relu' ? tf.relu(y) : y;
}

function cnn(x: tf.Tensor4D): tf.Tensor2D {
  x = dropout(tf.maxPool(conv(conv(x, 'conv1'), 'conv2'), 2, 2, 'valid'), 0.25) as tf.Tensor4D;
  x = dropout(tf.maxPool(conv(conv(x, 'conv3'), 'conv4'), 2, 2, 'valid'), 0.25) as tf.Tensor4D;
  const h = dropout(dense(tf.reshape(x, [x.shape[0], 8 * 8 * 100]), 'dense1', 'relu'), 0.5) as tf.Tensor2D;
  return dense(h, 'dense2', 'linear'); // logits
}

// #############################################
// #               Training step               #
// #############################################

// tf.train.momentum: v = momentum v + g; w -= lr v (useNesterov false), the spec's SGD
let optimizer = tf.train.momentum(hp.lr, hp.momentum, false);

/** Canonical weights and fresh optimizer state; repeat r draws its dropout masks from seed + r. */
function reset(repeat: number): void {
  for (const name of names) w[name].assign(canonical[name]);
  optimizer.dispose();
  optimizer = tf.train.momentum(hp.lr, hp.momentum, false);
  dropoutSeed = (cell.seed + repeat) * 2 ** 20;
}

function trainStep(idx: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => optimizer.minimize(() => {
    const logits = cnn(tf.gather(xTrain, idx) as tf.Tensor4D);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.gather(yTrain, idx) as tf.Tensor1D, 10), logits); // mean over the batch
  }, true)!);
}

// #############################################
// #          Training and evaluation          #
// #############################################

function evaluate(batchSize = 500): number {
  training = false;
  let correct = 0;
  for (let i = 0; i < xTest.shape[0]; i += batchSize) {
    const n = Math.min(batchSize, xTest.shape[0] - i);
    correct += tf.tidy(() => tf.sum(tf.equal(tf.argMax(cnn(tf.slice(xTest, i, n) as tf.Tensor4D), 1), tf.slice(yTest, i, n))).dataSync()[0]);
  }
  training = true;
  return correct / xTest.shape[0];
}

// the shared order (host.py's rosetta.epoch_batches): one int32 index tensor per step, made before any clock
const batches = tf.unstack(load('batches')).map((epoch) => tf.unstack(epoch) as tf.Tensor1D[]);

/** The timed work of one epoch (host.py's clock): every step, then the mean loss read back, which
 * waits for them (the WASM backend runs each op when it is called: nothing is left in flight). */
async function epoch(e: number): Promise<number> {
  const losses = batches[e].map(trainStep);
  const mean = tf.tidy(() => tf.mean(tf.stack(losses)));
  const value = (await mean.data())[0];
  tf.dispose([...losses, mean]);
  return value;
}

async function warmup(n: number): Promise<void> { // untimed: the backend's first allocations
  reset(0);
  tf.dispose(batches[0].slice(0, n).map(trainStep));
}

// #############################################
// #              Timing and result            #
// #############################################

await serve({
  info: {
    ...backend, param_count: paramCount, fast_path: fastPath, placement: 'host', // WASM memory is the CPU's
    notes: ['the WASM backend has no Conv2DBackpropFilter kernel: kernels.ts adds one built from its Conv2D (XNNPACK)'],
  },
  forward: (x) => { training = false; const y = cnn(x as tf.Tensor4D); training = true; return y; },
  warmup, reset, trainStep, epoch, evaluate,
  dropout: (on) => { training = on; },
  weights: () => w,
});
