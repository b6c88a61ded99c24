// The two kernels that training needs and TF.js's WebAssembly backend (tfjs-backend-wasm 4.22.0) does
// not register: without them a gradient throws "Kernel '...' not registered for backend 'wasm'".
// - Conv2DBackpropFilter, the gradient of a convolution's filter (the CNN's training step). The
//   backend has Conv2D, Conv2DBackpropInput and Conv3DBackpropFilterV2 but not this one.
// - UnsortedSegmentSum, the gradient of a gather (tf.gather: the GRU's embedding lookup).
// Both are built from the backend's own kernels (XNNPACK's convolution, its scatter), so they run in
// the same WebAssembly module as everything else; the CPU backend's are not mixed in.
// Fast mode also replaces two the backend has, with the same arithmetic on its faster paths
// (fastKernels(); measured on this machine's CPU at the CNN's sizes, batch 64):
// - Conv2DBackpropInput (a convolution's input gradient) is a plain C++ loop, 3.6 s for the CNN's conv2
//   against 0.25 s for its XNNPACK Conv2D: it becomes a Conv2D of dy with the filter turned 180 degrees.
// - BatchMatMul with a transposed operand (every matmul's gradient) leaves XNNPACK for a loop, 10-20x
//   slower (x^T dy for the CNN's dense1: 370 ms against 19 ms): the operand is transposed first.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(dataId: object): boolean };

/** Runs one of the WASM backend's own kernels on tensor infos. */
function run(backend: Backend, name: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
  return tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend, attrs } as never) as Info;
}

/** dW[i, j, c, o] = sum over n, h, w of x[n, h*s + i - top, w*s + j - left, c] * dy[n, h, w, o]: a
 * convolution of x with its channels as the batch and its batch as the channels, by the filter dy
 * (one (N -> O) slice per output position), dilated by the forward convolution's stride. */
function conv2dBackpropFilter({ inputs, attrs, backend }: { inputs: Record<string, Info>; attrs: Record<string, never>; backend: Backend }): Info {
  const { x, dy } = inputs;
  const { strides, pad, dimRoundingMode, filterShape } = attrs as { strides: number | [number, number]; pad: never; dimRoundingMode: never; filterShape: number[] };
  const info = tf.backend_util.computeConv2DInfo(x.shape as never, filterShape as never, strides, 1, pad, dimRoundingMode);
  const { top, left } = info.padInfo;
  const bottom = filterShape[0] + (info.outHeight - 1) * info.strideHeight - x.shape[1] - top;
  const right = filterShape[1] + (info.outWidth - 1) * info.strideWidth - x.shape[2] - left;
  if (bottom < 0 || right < 0) throw new Error('Conv2DBackpropFilter on wasm: a convolution that skips input rows is not supported');
  const xT = run(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }); // (C, H, W, N)
  const dyT = run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // (Ho, Wo, N, O)
  const dw = run(backend, 'Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
    dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined,
  }); // (C, kh, kw, O)
  const out = run(backend, 'Transpose', { x: dw }, { perm: [1, 2, 0, 3] }); // (kh, kw, C, O): HWIO
  for (const t of [xT, dyT, dw]) backend.disposeData(t.dataId);
  return out;
}

/** out[segmentIds[i]] += x[i]: the backend's ScatterNd, which adds the updates of repeated indices. */
function unsortedSegmentSum({ inputs, attrs, backend }: { inputs: Record<string, Info>; attrs: Record<string, never>; backend: Backend }): Info {
  const { x, segmentIds } = inputs;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const indices = run(backend, 'Reshape', { x: segmentIds }, { shape: [segmentIds.shape[0], 1] });
  const out = run(backend, 'ScatterNd', { indices, updates: x }, { shape: [numSegments, ...x.shape.slice(1)] });
  backend.disposeData(indices.dataId);
  return out;
}

/** dx[n, h, w, c] = sum over i, j, o of dy[n, h + top - i, w + left - j, o] * W[i, j, c, o] (stride 1):
 * a stride-1 convolution of dy, padded by k - 1 - pad, with W reversed in H and W, (in, out) swapped. */
function conv2dBackpropInput(original: tf.KernelFunc) {
  return ({ inputs, attrs, backend }: { inputs: Record<string, Info>; attrs: Record<string, never>; backend: Backend }): Info => {
    const { dy, filter } = inputs;
    const { strides, pad, dimRoundingMode, inputShape } = attrs as { strides: number | [number, number]; pad: never; dimRoundingMode: never; inputShape: number[] };
    const info = tf.backend_util.computeConv2DInfo(inputShape as never, filter.shape as never, strides, 1, pad, dimRoundingMode);
    if (info.strideHeight !== 1 || info.strideWidth !== 1) return original({ inputs, attrs, backend } as never) as Info;
    const [kh, kw] = filter.shape;
    const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
    const bottom = inputShape[1] - dy.shape[1] + kh - 1 - top, right = inputShape[2] - dy.shape[2] + kw - 1 - left;
    const reversed = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = run(backend, 'Transpose', { x: reversed }, { perm: [0, 1, 3, 2] }); // (kh, kw, out, in)
    const dx = run(backend, 'Conv2D', { x: dy, filter: swapped }, {
      strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined,
    });
    for (const t of [reversed, swapped]) backend.disposeData(t.dataId);
    return dx;
  };
}

/** a^T or b^T made explicit (a Transpose of the last two axes), then the untransposed BatchMatMul. */
function batchMatMul(original: tf.KernelFunc) {
  return ({ inputs, attrs, backend }: { inputs: Record<string, Info>; attrs: Record<string, boolean>; backend: Backend }): Info => {
    const swap = (t: Info) => run(backend, 'Transpose', { x: t }, { perm: [...t.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)) });
    const a = attrs.transposeA ? swap(inputs.a) : inputs.a, b = attrs.transposeB ? swap(inputs.b) : inputs.b;
    const out = original({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend } as never) as Info;
    for (const t of [a, b]) if (t !== inputs.a && t !== inputs.b) backend.disposeData(t.dataId);
    return out;
  };
}

/** Fast mode: conv2dBackpropInput and batchMatMul in place of the backend's kernels. */
export function fastKernels(): void {
  for (const [name, replacement] of [['Conv2DBackpropInput', conv2dBackpropInput], ['BatchMatMul', batchMatMul]] as const) {
    const original = tf.getKernel(name, 'wasm')!.kernelFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: replacement(original) as never });
  }
}

tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter as never });
tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as never });
