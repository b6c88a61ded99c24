"""Framework-neutral NumPy forward passes of the three canonical models, in float64: the reference
every framework's network is compared with. They read the canonical weights exactly as
rosetta/weights.py documents them (names, HWIO kernels, (in, out) dense, NHWC, per-gate GRU)."""

from __future__ import annotations

import numpy as np

relu = lambda v: np.maximum(v, 0)


def conv(x: np.ndarray, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    """NHWC x, HWIO kernel, symmetric zero padding k // 2, any stride (cross-correlation)."""
    k = kernel.shape[0]
    x = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    ho, wo = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    return sum(x[:, i:i + stride * ho:stride, j:j + stride * wo:stride] @ kernel[i, j] for i in range(k) for j in range(k))


def max_pool(x: np.ndarray, size: int, stride: int, padding: int = 0) -> np.ndarray:
    """NHWC max-pool; the padding is -inf, so it never wins the max."""
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)), constant_values=-np.inf)
    ho, wo = (x.shape[1] - size) // stride + 1, (x.shape[2] - size) // stride + 1
    return np.max([x[:, i:i + stride * ho:stride, j:j + stride * wo:stride] for i in range(size) for j in range(size)], axis=0)


def float64(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: w.astype(np.float64) for name, w in weights.items()}


def cnn_logits(weights: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """The CNN in inference mode (dropout off) on NHWC images in [0, 1]: (n, 10) logits."""
    w = float64(weights)
    layer = lambda x, name: relu(conv(x, w[f"{name}.kernel"]) + w[f"{name}.bias"])
    x = max_pool(layer(layer(images.astype(np.float64), "conv1"), "conv2"), 2, 2)
    x = max_pool(layer(layer(x, "conv3"), "conv4"), 2, 2)
    x = relu(x.reshape(len(x), -1) @ w["dense1.kernel"] + w["dense1.bias"])  # NHWC (H, W, C) flatten order
    return x @ w["dense2.kernel"] + w["dense2.bias"]


def gru_logits(weights: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """Embedding, one GRU layer in the cuDNN convention (reset gate after the recurrent matmul,
    separate input and recurrent biases), dense on the state after the last step: (n, 2) logits."""
    w = float64(weights)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    x_part = lambda xt, gate: xt @ w[f"gru.input_kernel.{gate}"] + w[f"gru.input_bias.{gate}"]
    h_part = lambda h, gate: h @ w[f"gru.recurrent_kernel.{gate}"] + w[f"gru.recurrent_bias.{gate}"]
    x = w["embedding.table"][tokens]
    h = np.zeros((len(tokens), w["gru.recurrent_kernel.r"].shape[0]))
    for t in range(tokens.shape[1]):
        xt = x[:, t]
        r, z = sigmoid(x_part(xt, "r") + h_part(h, "r")), sigmoid(x_part(xt, "z") + h_part(h, "z"))
        n = np.tanh(x_part(xt, "n") + r * h_part(h, "n"))
        h = (1 - z) * n + z * h
    return h @ w["dense.kernel"] + w["dense.bias"]


def resnet50_features(weights: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """ResNet-50 v1.5 without the classifier, BatchNorm in inference mode (epsilon 1e-5), on NHWC
    images: (n, 2048) features after global average pooling."""
    w = float64(weights)
    bn = lambda v, n: (v - w[f"{n}.mean"]) / np.sqrt(w[f"{n}.var"] + 1e-5) * w[f"{n}.gamma"] + w[f"{n}.beta"]
    x = relu(bn(conv(images.astype(np.float64), w["stem.conv.kernel"], 2), "stem.bn"))
    x = max_pool(x, 3, 2, padding=1)
    for stage, blocks in enumerate((3, 4, 6, 3), start=1):
        for i in range(blocks):
            p, stride = f"layer{stage}.{i}", 2 if stage > 1 and i == 0 else 1
            out = relu(bn(conv(x, w[f"{p}.conv1.kernel"]), f"{p}.bn1"))
            out = relu(bn(conv(out, w[f"{p}.conv2.kernel"], stride), f"{p}.bn2"))  # v1.5: the stride on the 3x3
            out = bn(conv(out, w[f"{p}.conv3.kernel"]), f"{p}.bn3")
            shortcut = bn(conv(x, w[f"{p}.downsample.conv.kernel"], stride), f"{p}.downsample.bn") if i == 0 else x
            x = relu(out + shortcut)
    return x.mean(axis=(1, 2))


FORWARD = {"cnn": cnn_logits, "gru": gru_logits, "resnet50": resnet50_features}
