// gru-imdb, TensorFlow.js (its WebAssembly backend, in Node): trains an embedding, one GRU layer and a
// dense classifier on IMDB reviews with Adam from the canonical initial weights and measures the
// training time of all epochs (host.py's clock brackets each epoch; the epoch ends by reading its mean
// loss back), then the test accuracy (untimed). Spec: shared/benchmarks.md. Run by host.py.
// The GRU cell is written with tfjs ops: tf.layers.gru has no reset_after (its GRUCell throws "GRUCell
// does not support reset_after parameter set to true"), so it cannot have cuDNN's gate convention.
// fp32: TF.js's own kernels, one per op. fast: tf.fused.matMul (the bias added in the matmul's kernel)
// and the gradients' transposed matmuls as a transpose and XNNPACK's matmul (kernels.ts).
// The WASM backend has no kernel for the embedding's gradient (a gather's): kernels.ts adds it.

import * as tf from '@tensorflow/tfjs';
import { fastKernels } from './kernels.ts';
import { cell, load, serve, wasmBackend } from './worker.ts';

// #############################################
// #              Hyper-parameters             #
// #############################################

const hp = cell.params; // train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                        // vocab_size, seq_len, embed_dim, hidden, repeats
const backend = await wasmBackend(); // the CPU only: the WASM backend never uses a GPU
const fastPath = cell.mode === 'fast' ? ['tf.fused.matMul', 'BatchMatMul untransposed'] : []; // fp32: TF.js's kernels
if (fastPath.length) fastKernels();

// #############################################
// #                    Data                   #
// #############################################

// token ids int32 (n, seq_len), zero-padded at the front; int32 labels: backend tensors in WASM memory
const [xTrain, yTrain, xTest, yTest] = ['x_train', 'y_train', 'x_test', 'y_test'].map(load);

// #############################################
// #                  Network                  #
// #############################################

/** Canonical layout to this runner's: the gates r, z, n side by side in one kernel and one bias each. */
const gates = (kind: string) => tf.concat(['r', 'z', 'n'].map((g) => load(`weights/gru.${kind}.${g}`)), -1);
const canonical: Record<string, tf.Tensor> = {
  'embedding.table': load('weights/embedding.table'),
  'gru.input_kernel': gates('input_kernel'), 'gru.recurrent_kernel': gates('recurrent_kernel'),
  'gru.input_bias': gates('input_bias'), 'gru.recurrent_bias': gates('recurrent_bias'),
  'dense.kernel': load('weights/dense.kernel'), 'dense.bias': load('weights/dense.bias'),
};
const w = Object.fromEntries(Object.entries(canonical).map(([name, v]) => [name, tf.variable(v, true, name)]));
const paramCount = Object.values(w).reduce((sum, v) => sum + v.size, 0);

/** x @ kernel + bias, in one kernel in fast mode. */
function linear(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  if (fastPath.length) return tf.fused.matMul({ a: x, b: kernel as tf.Tensor2D, bias });
  return tf.add(tf.matMul(x, kernel as tf.Tensor2D), bias);
}

/** x: (batch, time, embed); returns the state after the last step, (batch, hidden). cuDNN's convention:
 * separate input and recurrent biases, the reset gate applied after the recurrent matmul. */
function gru(x: tf.Tensor3D): tf.Tensor2D {
  const [batch, time, embed] = x.shape;
  const rz = 2 * hp.hidden;
  const xw = tf.reshape(linear(tf.reshape(x, [batch * time, embed]), w['gru.input_kernel'], w['gru.input_bias']), [batch, time, 3 * hp.hidden]);
  let h: tf.Tensor2D = tf.zeros([batch, hp.hidden]);
  for (const xt of tf.unstack(xw, 1) as tf.Tensor2D[]) { // the input part of every step came from one matmul
    const hw = linear(h, w['gru.recurrent_kernel'], w['gru.recurrent_bias']);
    const [r, z] = tf.split(tf.sigmoid(tf.add(tf.slice(xt, [0, 0], [-1, rz]), tf.slice(hw, [0, 0], [-1, rz]))), 2, 1);
    const n = tf.tanh(tf.add(tf.slice(xt, [0, rz], [-1, -1]), tf.mul(r, tf.slice(hw, [0, rz], [-1, -1])))); // reset after the matmul
    h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
  }
  return h;
}

function classifier(tokens: tf.Tensor2D): tf.Tensor2D {
  const embedded = tf.gather(w['embedding.table'], tokens) as tf.Tensor3D;
  return linear(gru(embedded), w['dense.kernel'], w['dense.bias']); // logits
}

// #############################################
// #               Training step               #
// #############################################

// tf.train.adam adds epsilon to the bias-corrected sqrt(v_hat): the spec's Adam
const makeOptimizer = () => tf.train.adam(hp.lr, hp.beta1, hp.beta2, hp.epsilon);
let optimizer = makeOptimizer();

/** Canonical weights and fresh optimizer state (the GRU has no dropout: repeats differ only in timing). */
function reset(repeat: number): void {
  for (const [name, v] of Object.entries(canonical)) w[name].assign(v);
  optimizer.dispose();
  optimizer = makeOptimizer();
}

function trainStep(idx: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => optimizer.minimize(() => {
    const logits = classifier(tf.gather(xTrain, idx) as tf.Tensor2D);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.gather(yTrain, idx) as tf.Tensor1D, 2), logits); // mean over the batch
  }, true)!);
}

// #############################################
// #          Training and evaluation          #
// #############################################

function evaluate(batchSize = 500): number {
  let correct = 0;
  for (let i = 0; i < xTest.shape[0]; i += batchSize) {
    const n = Math.min(batchSize, xTest.shape[0] - i);
    correct += tf.tidy(() => tf.sum(tf.equal(tf.argMax(classifier(tf.slice(xTest, i, n) as tf.Tensor2D), 1), tf.slice(yTest, i, n))).dataSync()[0]);
  }
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
    ...backend, param_count: paramCount, fast_path: fastPath, placement: 'host', fused_rnn: false, // WASM memory is the CPU's
    notes: ['TF.js has no fused RNN kernel: the GRU cell is tfjs ops, one step after another, hence fused_rnn false',
      'the WASM backend has no UnsortedSegmentSum kernel (the embedding\'s gradient): kernels.ts adds one built from its ScatterNd'],
  },
  forward: (x) => classifier(x as tf.Tensor2D),
  warmup, reset, trainStep, epoch, evaluate,
  dropout: () => {}, // no dropout in this network
  weights: () => w,
});
