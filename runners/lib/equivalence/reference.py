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


# The training step (shared/benchmarks.md: "Training"), in float64: forward, backward by hand, and
# the optimizer update, from the canonical weights with dropout off, on one fixed batch. Each
# *_train returns the mean softmax cross-entropy before every step and the weights after the last.

def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(labels)
    loss = float(-np.log(probs[np.arange(n), labels]).mean())
    probs[np.arange(n), labels] -= 1
    return loss, probs / n


def conv_backward(x: np.ndarray, kernel: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of conv(x, kernel) (stride 1, padding k // 2) for the output gradient dy: (dx, dkernel)."""
    k, p = kernel.shape[0], kernel.shape[0] // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp, dk = np.zeros_like(xp), np.zeros_like(kernel)
    h, w = dy.shape[1:3]
    flat_dy = dy.reshape(-1, dy.shape[-1])
    for i in range(k):
        for j in range(k):
            dk[i, j] = xp[:, i:i + h, j:j + w].reshape(-1, x.shape[-1]).T @ flat_dy
            dxp[:, i:i + h, j:j + w] += dy @ kernel[i, j].T
    return dxp[:, p:p + x.shape[1], p:p + x.shape[2]], dk


def max_pool_backward(x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Gradient of the 2x2/2 max-pool: dy goes to the position of each window's maximum (the first
    one on ties, as the frameworks do; ties come from ReLU zeros, whose gradient is zero anyway)."""
    n, h, w, c = x.shape
    windows = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4)
    first = np.eye(4)[windows.argmax(-1)]  # one-hot of the first maximum
    dx = first * dy[..., None]
    return dx.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(x.shape)


def cnn_gradients(w: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the CNN (dropout off) on one batch of NHWC images."""
    layer = lambda x, name: relu(conv(x, w[f"{name}.kernel"]) + w[f"{name}.bias"])
    a1 = layer(images, "conv1")
    a2 = layer(a1, "conv2")
    p1 = max_pool(a2, 2, 2)
    a3 = layer(p1, "conv3")
    a4 = layer(a3, "conv4")
    p2 = max_pool(a4, 2, 2)
    f = p2.reshape(len(p2), -1)
    h = relu(f @ w["dense1.kernel"] + w["dense1.bias"])
    loss, d = cross_entropy(h @ w["dense2.kernel"] + w["dense2.bias"], labels)
    g = {"dense2.kernel": h.T @ d, "dense2.bias": d.sum(0)}
    d = (d @ w["dense2.kernel"].T) * (h > 0)
    g["dense1.kernel"], g["dense1.bias"] = f.T @ d, d.sum(0)
    d = max_pool_backward(a4, (d @ w["dense1.kernel"].T).reshape(p2.shape))
    for name, inputs, output in (("conv4", a3, a4), ("conv3", p1, a3), ("conv2", a1, a2), ("conv1", images, a1)):
        d = d * (output > 0)
        g[f"{name}.bias"] = d.sum((0, 1, 2))
        d, g[f"{name}.kernel"] = conv_backward(inputs, w[f"{name}.kernel"], d)
        if name == "conv3":
            d = max_pool_backward(a2, d)
    return loss, g


def gru_gradients(w: dict[str, np.ndarray], tokens: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the GRU classifier on one batch of token ids: backpropagation through
    time of gru_logits's recurrence."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    wi = lambda kind, gate: w[f"gru.{kind}.{gate}"]
    x = w["embedding.table"][tokens]
    h, steps = np.zeros((len(tokens), wi("recurrent_kernel", "r").shape[0])), []
    for t in range(tokens.shape[1]):
        xt = x[:, t]
        pre = {gate: xt @ wi("input_kernel", gate) + wi("input_bias", gate) for gate in "rzn"}
        hn = h @ wi("recurrent_kernel", "n") + wi("recurrent_bias", "n")
        r = sigmoid(pre["r"] + h @ wi("recurrent_kernel", "r") + wi("recurrent_bias", "r"))
        z = sigmoid(pre["z"] + h @ wi("recurrent_kernel", "z") + wi("recurrent_bias", "z"))
        n = np.tanh(pre["n"] + r * hn)
        steps.append((xt, h, r, z, n, hn))
        h = (1 - z) * n + z * h
    loss, d = cross_entropy(h @ w["dense.kernel"] + w["dense.bias"], labels)
    g = {name: np.zeros_like(value) for name, value in w.items()}
    g["embedding.table@squares"] = np.zeros_like(w["embedding.table"])  # per occurrence: for adam(occurrence_squares=True)
    g["dense.kernel"], g["dense.bias"] = h.T @ d, d.sum(0)
    dh = d @ w["dense.kernel"].T
    for t in reversed(range(tokens.shape[1])):
        xt, h, r, z, n, hn = steps[t]
        dn, dz = dh * (1 - z), dh * (h - n)
        da = {"n": dn * (1 - n ** 2), "z": dz * z * (1 - z)}
        dhn = da["n"] * r
        da["r"] = da["n"] * hn * r * (1 - r)
        dh = dh * z
        dx = 0
        for gate in "rzn":
            dgate_h = dhn if gate == "n" else da[gate]  # n's recurrent part is scaled by r
            g[f"gru.input_kernel.{gate}"] += xt.T @ da[gate]
            g[f"gru.input_bias.{gate}"] += da[gate].sum(0)
            g[f"gru.recurrent_kernel.{gate}"] += h.T @ dgate_h
            g[f"gru.recurrent_bias.{gate}"] += dgate_h.sum(0)
            dh = dh + dgate_h @ wi("recurrent_kernel", gate).T
            dx = dx + da[gate] @ wi("input_kernel", gate).T
        np.add.at(g["embedding.table"], tokens[:, t], dx)
        np.add.at(g["embedding.table@squares"], tokens[:, t], dx ** 2)
    return loss, g


def sgd_momentum(lr: float, momentum: float):
    """The spec's SGD: velocity v = momentum * v + g, w -= lr * v (no dampening, no Nesterov)."""
    velocity = {}

    def update(w, g):
        for name in w:
            velocity[name] = momentum * velocity.get(name, 0) + g[name]
            w[name] = w[name] - lr * velocity[name]
    return update


def adam(lr: float, beta1: float, beta2: float, epsilon: float, epsilon_on_corrected: bool = True, occurrence_squares: bool = False):
    """The spec's Adam (Kingma and Ba, Algorithm 1): epsilon added to the bias-corrected sqrt(v).
    With `epsilon_on_corrected` False, the paper's "efficient version" (section 2) that Keras,
    TensorFlow and MXNet implement: the corrections folded into the step size, epsilon added to the
    uncorrected sqrt(v), which amounts to an epsilon of epsilon * sqrt(1 - beta2 ** t). With
    `occurrence_squares`, v takes the squares the gradient function gives under "<name>@squares"
    (gru_gradients: the embedding's, summed per token occurrence) in place of the squared gradient."""
    m, v, step = {}, {}, [0]

    def update(w, g):
        step[0] += 1
        t = step[0]
        for name in w:
            m[name] = beta1 * m.get(name, 0) + (1 - beta1) * g[name]
            squares = g.get(f"{name}@squares", g[name] ** 2) if occurrence_squares else g[name] ** 2
            v[name] = beta2 * v.get(name, 0) + (1 - beta2) * squares
            if epsilon_on_corrected:
                w[name] = w[name] - lr * (m[name] / (1 - beta1 ** t)) / (np.sqrt(v[name] / (1 - beta2 ** t)) + epsilon)
            else:
                w[name] = w[name] - lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m[name] / (np.sqrt(v[name]) + epsilon)
    return update


def train(gradients, update, weights: dict[str, np.ndarray], inputs: np.ndarray, labels: np.ndarray, steps: int):
    """`steps` optimizer steps on one batch: the loss before each step, and the weights after the last."""
    w, losses = float64(weights), []
    for _ in range(steps):
        loss, g = gradients(w, inputs.astype(np.float64) if inputs.dtype.kind == "f" else inputs, labels)
        losses.append(loss)
        update(w, g)
    return losses, w


GRADIENTS = {"cnn": cnn_gradients, "gru": gru_gradients}
