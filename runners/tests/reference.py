"""Framework-neutral NumPy forward passes of the canonical models, for the frameworks' tests: they
read the canonical weights exactly as runners/rosetta/weights.py documents them."""

from __future__ import annotations

import numpy as np


def conv2d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """NHWC x, HWIO kernel, stride 1, zero padding (k - 1) / 2 (cross-correlation)."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))  # n, h, w, c, kh, kw
    out = np.einsum("nhwcij,ijco->nhwo", windows, kernel, optimize=True)
    return out if bias is None else out + bias


def max_pool_2x2(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def cnn_logits(w: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """The CNN in inference mode (no dropout) on NHWC images, in float64."""
    relu = lambda v: np.maximum(v, 0)
    w = {k: v.astype(np.float64) for k, v in w.items()}
    x = images.astype(np.float64)
    x = max_pool_2x2(relu(conv2d_same(relu(conv2d_same(x, w["conv1.kernel"], w["conv1.bias"])), w["conv2.kernel"], w["conv2.bias"])))
    x = max_pool_2x2(relu(conv2d_same(relu(conv2d_same(x, w["conv3.kernel"], w["conv3.bias"])), w["conv4.kernel"], w["conv4.bias"])))
    x = relu(x.reshape(len(x), -1) @ w["dense1.kernel"] + w["dense1.bias"])  # (H, W, C) flatten
    return x @ w["dense2.kernel"] + w["dense2.bias"]


def gru_logits(w: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """Embedding, GRU (reset after the recurrent matmul), dense on the last state; float64."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    g = lambda kind, gate: w[f"gru.{kind}.{gate}"]
    x = w["embedding.table"][tokens]
    h = np.zeros((len(tokens), g("recurrent_kernel", "r").shape[0]))
    for t in range(tokens.shape[1]):
        xt = x[:, t]
        gate = lambda name: xt @ g("input_kernel", name) + g("input_bias", name) + h @ g("recurrent_kernel", name) + g("recurrent_bias", name)
        r, z = sigmoid(gate("r")), sigmoid(gate("z"))
        n = np.tanh(xt @ g("input_kernel", "n") + g("input_bias", "n") + r * (h @ g("recurrent_kernel", "n") + g("recurrent_bias", "n")))
        h = (1 - z) * n + z * h
    return h @ w["dense.kernel"] + w["dense.bias"]
