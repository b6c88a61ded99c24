"""Canonical initial weights (spec rule 1): every runner of a model starts from these values.

canonical_weights(model) returns an ordered dict {name: float32 array}, drawn from one random
stream per model (rosetta.rng.Random(WEIGHT_SEEDS[model]), bit-identical whatever the NumPy version)
in the order listed below, so the same names hold the same values in every framework's environment.
Every value is uniform: U(a) means uniform on [-a, a). The layouts are those of `x @ W` and NHWC:

  dense kernel   (in, out)               x @ kernel + bias
  conv kernel    HWIO (kh, kw, in, out)  convolutions are cross-correlations, as in every framework
  embedding      (vocab, dim)            row i is token i
  BatchNorm      gamma, beta (parameters), mean, var (running statistics: buffers, var > 0),
                 inference: (x - mean) / sqrt(var + 1e-5) * gamma + beta   (epsilon 1e-5, as PyTorch;
                 Keras' default is 1e-3: set it)

cnn (3,441,592 parameters), kernels He-uniform U(sqrt(6 / fan_in)), biases U(0.01):
  conv1.kernel (3,3,3,50)    conv1.bias (50)     conv 3x3, padding 1 ("same"), then ReLU
  conv2.kernel (3,3,50,50)   conv2.bias (50)     then max-pool 2x2/2, dropout 0.25
  conv3.kernel (3,3,50,100)  conv3.bias (100)
  conv4.kernel (3,3,100,100) conv4.bias (100)    then max-pool 2x2/2, dropout 0.25
  dense1.kernel (6400,512)   dense1.bias (512)   its 6400 inputs are the (8, 8, 100) feature map
                                                 flattened in (H, W, C) order, i.e. NHWC flatten:
                                                 a channels-first framework permutes these rows
  dense2.kernel (512,10)     dense2.bias (10)    logits; Glorot-uniform U(sqrt(6 / (fan_in + fan_out)))

gru (3,818,302 parameters with the spec's sizes), stored per gate so that no framework's gate order
is canonical (PyTorch concatenates r, z, n; Keras z, r, h). Gates r (reset), z (update), n (new):
  embedding.table (30000,125)                    U(0.05)
  gru.input_kernel.{r,z,n} (125,100)             Glorot-uniform
  gru.recurrent_kernel.{r,z,n} (100,100)         U(sqrt(3 / 100)): variance 1/100, norm-preserving on average
  gru.input_bias.{r,z,n} (100)  gru.recurrent_bias.{r,z,n} (100)    U(0.05)
  dense.kernel (100,2) Glorot-uniform  dense.bias (2) U(0.05)
  with x the input and h the previous state (cuDNN convention, "reset after"):
    r = sigmoid(x Wi.r + bi.r + h Wh.r + bh.r)     z = sigmoid(x Wi.z + bi.z + h Wh.z + bh.z)
    n = tanh(x Wi.n + bi.n + r * (h Wh.n + bh.n))  h' = (1 - z) * n + z * h
  The state starts at zero; the logits are dense(h after the last step).

resnet50 (23,508,032 parameters; ResNet-50 v1.5 without the classifier), He-uniform kernels, no conv
biases, BatchNorm after every conv with gamma 0.8..1.2, beta U(0.1), mean U(0.1), var 0.8..1.2;
the last BatchNorm of each bottleneck has gamma 0.16..0.24 so the residual sums, and the 2048-d
features (mean about 1), stay of moderate size:
  stem.conv.kernel (7,7,3,64) stride 2, padding 3;  stem.bn.{gamma,beta,mean,var} (64);
  ReLU; max-pool 3x3 stride 2 padding 1 (padding never wins the max)
  layer{1..4}.{i}  with (blocks, width) = (3, 64), (4, 128), (6, 256), (3, 512), i = 0 .. blocks-1,
    out = 4 * width, input channels cin = 64 for layer1.0, else the previous block's out:
    .conv1.kernel (1,1,cin,width)    .bn1.*  ReLU
    .conv2.kernel (3,3,width,width)  .bn2.*  ReLU   padding 1; stride 2 in block 0 of layers 2-4 (v1.5)
    .conv3.kernel (1,1,width,out)    .bn3.*
    block 0 only: .downsample.conv.kernel (1,1,cin,out) with the block's stride, .downsample.bn.*
    output = ReLU(bn3 + shortcut), the shortcut being the input or its downsample
  features = mean over H and W of layer4's output (2048).
  Padding is explicit and symmetric: TensorFlow's "same" pads stride-2 layers asymmetrically.
"""

from __future__ import annotations

import numpy as np

from .rng import Random

WEIGHT_SEEDS = {"cnn": 1001, "gru": 1002, "resnet50": 1003}
PARAM_COUNTS = {"cnn": 3_441_592, "gru": 3_818_302, "resnet50": 23_508_032}
BUFFER_SUFFIXES = (".mean", ".var")  # BatchNorm running statistics: not parameters
RESNET50_STAGES = ((3, 64), (4, 128), (6, 256), (3, 512))


def _uniform(rng: Random, shape: tuple, bound: float) -> np.ndarray:
    return rng.uniform(shape, -bound, bound)


def _he_uniform(rng, shape):
    fan_in = int(np.prod(shape[:-1]))
    return _uniform(rng, shape, np.sqrt(6.0 / fan_in))


def _glorot_uniform(rng, shape):
    return _uniform(rng, shape, np.sqrt(6.0 / (shape[0] + shape[1])))


def _cnn(rng: Random) -> dict[str, np.ndarray]:
    w = {}
    for name, cin, cout in (("conv1", 3, 50), ("conv2", 50, 50), ("conv3", 50, 100), ("conv4", 100, 100)):
        w[f"{name}.kernel"] = _he_uniform(rng, (3, 3, cin, cout))
        w[f"{name}.bias"] = _uniform(rng, (cout,), 0.01)
    w["dense1.kernel"] = _he_uniform(rng, (8 * 8 * 100, 512))
    w["dense1.bias"] = _uniform(rng, (512,), 0.01)
    w["dense2.kernel"] = _glorot_uniform(rng, (512, 10))
    w["dense2.bias"] = _uniform(rng, (10,), 0.01)
    return w


def _gru(rng: Random, vocab_size: int, embed_dim: int, hidden: int) -> dict[str, np.ndarray]:
    w = {"embedding.table": _uniform(rng, (vocab_size, embed_dim), 0.05)}
    for gate in "rzn":
        w[f"gru.input_kernel.{gate}"] = _glorot_uniform(rng, (embed_dim, hidden))
    for gate in "rzn":
        w[f"gru.recurrent_kernel.{gate}"] = _uniform(rng, (hidden, hidden), np.sqrt(3.0 / hidden))
    for kind in ("input_bias", "recurrent_bias"):
        for gate in "rzn":
            w[f"gru.{kind}.{gate}"] = _uniform(rng, (hidden,), 0.05)
    w["dense.kernel"] = _glorot_uniform(rng, (hidden, 2))
    w["dense.bias"] = _uniform(rng, (2,), 0.05)
    return w


def _resnet50(rng: Random) -> dict[str, np.ndarray]:
    w = {}

    def conv(name, k, cin, cout):
        w[f"{name}.kernel"] = _he_uniform(rng, (k, k, cin, cout))

    def bn(name, c, gamma=1.0):
        w[f"{name}.gamma"] = rng.uniform(c, 0.8 * gamma, 1.2 * gamma)
        w[f"{name}.beta"] = _uniform(rng, (c,), 0.1)
        w[f"{name}.mean"] = _uniform(rng, (c,), 0.1)
        w[f"{name}.var"] = rng.uniform(c, 0.8, 1.2)

    conv("stem.conv", 7, 3, 64)
    bn("stem.bn", 64)
    cin = 64
    for stage, (blocks, width) in enumerate(RESNET50_STAGES, start=1):
        for i in range(blocks):
            p = f"layer{stage}.{i}"
            conv(f"{p}.conv1", 1, cin, width)
            bn(f"{p}.bn1", width)
            conv(f"{p}.conv2", 3, width, width)
            bn(f"{p}.bn2", width)
            conv(f"{p}.conv3", 1, width, 4 * width)
            bn(f"{p}.bn3", 4 * width, gamma=0.2)
            if i == 0:
                conv(f"{p}.downsample.conv", 1, cin, 4 * width)
                bn(f"{p}.downsample.bn", 4 * width)
            cin = 4 * width
    return w


def canonical_weights(model: str, *, vocab_size: int = 30_000, embed_dim: int = 125, hidden: int = 100) -> dict[str, np.ndarray]:
    """The canonical initial weights of "cnn", "gru" or "resnet50" (layouts: module docstring).
    The sizes are the GRU's (the spec's by default). A fresh dict of fresh arrays every call."""
    rng = Random(WEIGHT_SEEDS[model])
    if model == "cnn":
        return _cnn(rng)
    if model == "gru":
        return _gru(rng, vocab_size, embed_dim, hidden)
    return _resnet50(rng)


def count_parameters(weights: dict[str, np.ndarray]) -> int:
    """Number of trainable values: everything but the BatchNorm running statistics."""
    return sum(int(w.size) for name, w in weights.items() if not name.endswith(BUFFER_SUFFIXES))
