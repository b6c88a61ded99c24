// resnet50-features, TensorFlow.js (its WebAssembly backend, in Node): runs ResNet-50 v1.5 without its
// classifier over batches of random images, from the canonical weights, and measures per pass, for
// every batch, the copy into the backend's memory, the forward pass and the copy of the 2048-d
// features back (host.py's clock brackets one pass). Spec: shared/benchmarks.md. Run by host.py.
// The network is tfjs ops (tf.conv2d, tf.batchNorm, ...) on the canonical weights, NHWC (TF.js's layout).
// fp32: TF.js's own kernels, one per op (conv2d, then batchNorm, then ReLU). fast: each BatchNorm folded
// into its convolution's kernel and a bias, and tf.fused.conv2d, whose kernel (XNNPACK's) adds the
// bias and applies the ReLU in the same pass (the FusedConv2D of TF.js's converted inference graphs).

import * as tf from '@tensorflow/tfjs';
import { cell, load, loadArray, serve, wasmBackend } from './worker.ts';

// #############################################
// #              Hyper-parameters             #
// #############################################

const hp = cell.params; // batch_size, batches, image_size, passes
const backend = await wasmBackend(); // the CPU only: the WASM backend never uses a GPU
const fastPath = cell.mode === 'fast' ? ['BatchNorm folded into tf.fused.conv2d'] : []; // fp32: TF.js's kernels, one per op

// #############################################
// #                    Data                   #
// #############################################

const images = loadArray('images').data; // float32 (batches, batch_size, size, size, 3), NHWC, in Node's (host) memory
const shape: [number, number, number, number] = [hp.batch_size, hp.image_size, hp.image_size, 3];
const host = Array.from({ length: hp.batches }, (_, b) => images.subarray(b * tf.util.sizeFromShape(shape), (b + 1) * tf.util.sizeFromShape(shape)));

// #############################################
// #                  Network                  #
// #############################################

type Layer = (x: tf.Tensor4D) => tf.Tensor4D;
let paramCount = 0;

/** A conv (no bias; explicit symmetric padding k // 2), then BatchNorm on its running statistics
 * (epsilon 1e-5), then ReLU if asked. */
function convBN(conv: string, bn: string, stride: number, relu: boolean): Layer {
  const kernel = load(`weights/${conv}.kernel`) as tf.Tensor4D;
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'var'].map((s) => load(`weights/${bn}.${s}`) as tf.Tensor1D);
  const pad = Math.floor(kernel.shape[0] / 2);
  paramCount += kernel.size + gamma.size + beta.size; // the running statistics are buffers, not parameters
  if (fastPath.length) {
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, 1e-5)));
    const [filter, bias] = [tf.mul(kernel, scale) as tf.Tensor4D, tf.sub(beta, tf.mul(mean, scale))];
    return (x) => tf.fused.conv2d({ x, filter, strides: stride, pad, bias, activation: relu ? 'relu' : 'linear' });
  }
  return (x) => {
    const y = tf.batchNorm(tf.conv2d(x, kernel, stride, pad), mean, variance, beta, gamma, 1e-5);
    return relu ? tf.relu(y) : y;
  };
}

/** ResNet v1.5: a block that downsamples has its stride on the 3x3 conv. */
function bottleneck(name: string, cin: number, width: number, stride: number): Layer {
  const conv1 = convBN(`${name}.conv1`, `${name}.bn1`, 1, true);
  const conv2 = convBN(`${name}.conv2`, `${name}.bn2`, stride, true);
  const conv3 = convBN(`${name}.conv3`, `${name}.bn3`, 1, false);
  const downsample: Layer = stride !== 1 || cin !== 4 * width ? convBN(`${name}.downsample.conv`, `${name}.downsample.bn`, stride, false) : (x) => x;
  return (x) => tf.relu(tf.add(conv3(conv2(conv1(x))), downsample(x)));
}

const stem = convBN('stem.conv', 'stem.bn', 2, true);
const blocks: Layer[] = [];
let cin = 64;
for (const [i, [n, width]] of [[3, 64], [4, 128], [6, 256], [3, 512]].entries()) {
  for (let b = 0; b < n; b++) blocks.push(bottleneck(`layer${i + 1}.${b}`, b === 0 ? cin : 4 * width, width, b === 0 && i > 0 ? 2 : 1));
  cin = 4 * width;
}

function resnet50(x: tf.Tensor4D): tf.Tensor2D {
  let h = tf.tidy(() => tf.maxPool(stem(x), 3, 2, 1)); // pads with -inf: padding never wins the max
  for (const block of blocks) { // each block's tensors freed as it ends: a batch's all at once pass WASM's 4 GB
    const next = tf.tidy(() => block(h));
    h.dispose();
    h = next;
  }
  return tf.mean(h, [1, 2]); // global average pooling: the 2048-d features
}

// #############################################
// #                 Inference                 #
// #############################################

let features: Float32Array[] = [];

/** One pass over all batches (host.py's clock): copy in (tf.tensor4d copies into the WASM module's
 * memory), forward, copy the features out (data() reads them back once they are computed). */
async function pass(): Promise<void> {
  features = [];
  for (const x of host) {
    const y = tf.tidy(() => resnet50(tf.tensor4d(x, shape)));
    features.push((await y.data()) as Float32Array);
    y.dispose();
  }
}

// #############################################
// #              Timing and result            #
// #############################################

await serve({
  info: { ...backend, param_count: paramCount, fast_path: fastPath, placement: 'host', notes: [] },
  forward: (x) => resnet50(x as tf.Tensor4D),
  warmup: pass, // untimed: one pass
  pass,
  checksum: () => features[0].reduce((sum, v) => sum + v, 0), // the first batch of the last pass, summed in float64
});
