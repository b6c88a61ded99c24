"""How to run a training runner's own training step for the check, per family of runners (the
folder a runner lives in): switch dropout off, call the runner's `reset(0)` (canonical weights,
fresh optimizer state) and then its `train_step` `steps` times on the one batch `idx` (indices
into the runner's training set, a NumPy int array), and bring back the loss of every step and the
trained weights, by canonical name in the canonical layout (rosetta/weights.py)."""

from __future__ import annotations

import numpy as np

# How a framework's Adam differs from the spec's by design, with no option to change it: the check
# compares such a runner with that algorithm (reference.adam's options) and records how far it is
# from the spec's. "epsilon": Keras (every backend), TensorFlow, MXNet (Gluon and symbolic) and
# Chainer add epsilon to the uncorrected sqrt(v) (Kingma and Ba's "efficient version"), not to the
# bias-corrected sqrt(v_hat) of the spec, PyTorch and Optax. "occurrences": Keras's Adam on
# TensorFlow updates v from the embedding's sparse gradient (tf.IndexedSlices, one slice per token
# occurrence) slice by slice: it adds the squares of a row's occurrences, not the square of their
# sum (the TensorFlow runner makes its gradients dense; Keras's own step cannot).
ADAM_DEVIATIONS = {
    "epsilon": "epsilon added to the uncorrected sqrt(v), not to the bias-corrected sqrt(v_hat)",
    "occurrences": "the embedding's second moment summed over each token's occurrences in the batch (squares of a sparse gradient's slices), not over rows",
}


def adam_deviations(family: str, namespace: dict) -> list[str]:
    """The ADAM_DEVIATIONS of a runner's optimizer."""
    if family not in {"keras", "r-keras", "tensorflow", "gluon", "mxnet", "chainer"}:
        return []
    return ["epsilon", "occurrences"] if family in ("keras", "r-keras") and namespace.get("backend") == "tensorflow" else ["epsilon"]


def canonical_from_torch(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """PyTorch's names and layouts back to the canonical ones: the inverse of the runners'
    torch_layout (OIHW -> HWIO, (out, in) -> (in, out), the CNN's dense1 rows from (C, H, W) to
    (H, W, C) order, nn.GRU's concatenated r, z, n gates split)."""
    weights = {}
    for name, w in state.items():
        if name.startswith("gru."):
            kind = {"weight_ih_l0": "input_kernel", "weight_hh_l0": "recurrent_kernel",
                    "bias_ih_l0": "input_bias", "bias_hh_l0": "recurrent_bias"}[name[len("gru."):]]
            for gate, part in zip("rzn", np.split(w.T if w.ndim == 2 else w, 3, axis=-1)):
                weights[f"gru.{kind}.{gate}"] = part
            continue
        name = name.replace(".weight", ".table" if name.startswith("embedding") else ".kernel")
        if w.ndim == 4:
            w = w.transpose(2, 3, 1, 0)
        elif w.ndim == 2 and not name.startswith("embedding"):
            w = w.T
        if name == "dense1.kernel":
            w = w.reshape(100, 8, 8, 512).transpose(1, 2, 0, 3).reshape(6400, 512)
        weights[name] = w
    return weights


def pytorch(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    import torch
    namespace["reset"](0)
    namespace["net"].eval()  # dropout off (F.dropout follows net.training); the CNN has no BatchNorm
    batch = torch.from_numpy(idx)
    losses = [float(namespace["train_step"](batch)) for _ in range(steps)]
    namespace["net"].train()
    return losses, canonical_from_torch({k: v.detach().numpy() for k, v in namespace["net"].state_dict().items()})


def canonical_from_flax(state: dict[tuple, np.ndarray]) -> dict[str, np.ndarray]:
    """Flax's paths back to the canonical names: the CNN's names and layouts are the canonical ones;
    the GRU's are the inverse of the runner's flax_layout (nnx.Embed's table is `embedding.embedding`,
    each GRU kernel and bias holds the r, z, n gates side by side)."""
    weights = {}
    for path, w in state.items():
        name = ".".join(map(str, path))
        if name.startswith("gru."):
            weights.update({f"{name}.{gate}": part for gate, part in zip("rzn", np.split(w, 3, axis=-1))})
        else:
            weights[name.replace("embedding.embedding", "embedding.table")] = w
    return weights


def jax(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """In JAX, dropout on or off is part of the compiled program: the runner's train_step runs with
    its jit_step compiled once more, the runner's way (nnx.jit_partial of its optimizer_step in tree
    mode), on a view of its net with dropout off (the same Variables)."""
    import jax
    from flax import nnx
    net, jit_step = namespace["net"], namespace["jit_step"]
    deterministic = nnx.view(net, deterministic=True, raise_if_not_found=False)  # the GRU has no dropout
    namespace["jit_step"] = nnx.jit_partial(namespace["optimizer_step"], deterministic, namespace["optimizer"], graph=False)
    try:
        namespace["reset"](0)
        batch = jax.device_put(idx)  # the timed loop's type: a row of the device-resident batches
        losses = [float(namespace["train_step"](batch)) for _ in range(steps)]
    finally:
        namespace["jit_step"] = jit_step
    return losses, canonical_from_flax({path: np.asarray(v[...]) for path, v in nnx.to_flat_state(nnx.state(net, nnx.Param))})


def canonical_from_keras(net) -> dict[str, np.ndarray]:
    """Keras's weights back to the canonical names, by layer name: the CNN's and the dense layers'
    layouts are the canonical ones; the GRU's is the inverse of the runners' keras_gru (gates
    concatenated in Keras's order z, r, h, the input and recurrent biases stacked in one (2, 3 * hidden))."""
    weights = {}
    for layer in net.layers:
        values = [np.asarray(w) for w in layer.get_weights()]
        if layer.name == "gru":
            kernel, recurrent_kernel, bias = values
            for kind, w in (("input_kernel", kernel), ("recurrent_kernel", recurrent_kernel), ("input_bias", bias[0]), ("recurrent_bias", bias[1])):
                weights.update({f"gru.{kind}.{gate}": part for gate, part in zip("zrn", np.split(w, 3, axis=-1))})
        elif layer.name == "embedding":
            weights["embedding.table"] = values[0]
        elif values:
            weights[f"{layer.name}.kernel"], weights[f"{layer.name}.bias"] = values
    return weights


def tensorflow(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Keras's Dropout reads its rate when the tf.function traces: with the rates at 0 before the
    runner's train_step first traces, its own compiled step runs without dropout."""
    import keras
    import tensorflow as tf
    net, train_step = namespace["net"], namespace["train_step"]
    if train_step.experimental_get_tracing_count():
        raise RuntimeError("train_step was traced before the check: its dropout cannot be switched off any more")
    for layer in net.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    namespace["reset"](0)
    batch = tf.constant(idx)  # the timed loop's type: one row of the device-resident batches
    losses = [float(train_step(batch)) for _ in range(steps)]
    return losses, canonical_from_keras(net)


def gluon(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off: the runner's nn.Dropout blocks are swapped for rate-0 ones while its train_step runs
    (recording in inference mode instead would also switch oneDNN's max-pool to its inference kernel,
    whose backward gives wrong gradients in mxnet 1.9.1). Gluon's layouts are PyTorch's, and its
    structural names (save_parameters') are too but for rnn.GRU's."""
    import tempfile
    from mxnet import nd
    from mxnet.gluon import nn
    net = namespace["net"]
    dropouts = {name: block for name, block in vars(net).items() if isinstance(block, nn.Dropout)}  # the GRU has none
    for name in dropouts:
        setattr(net, name, nn.Dropout(0.0))
    try:
        namespace["reset"](0)
        batch = nd.array(idx, namespace["ctx"], dtype="int64")  # the timed loop's type: a row of the device-resident batches
        losses = [float(namespace["train_step"](batch).asscalar()) for _ in range(steps)]
    finally:
        for name, block in dropouts.items():
            setattr(net, name, block)
    with tempfile.TemporaryDirectory() as folder:
        net.save_parameters(f"{folder}/trained.params")
        state = {name: w.asnumpy() for name, w in nd.load(f"{folder}/trained.params").items()}
    torch_names = {f"gru._unfused.0.{g}2h_{t}": f"gru.{t}_{g}h_l0" for g in "ih" for t in ("weight", "bias")}
    return losses, canonical_from_torch({torch_names.get(name, name): w for name, w in state.items()})


def keras(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Keras 3 on any backend: the runner's train_step runs Keras's own compiled step
    (model.train_function); its Dropout layers read their rate when that step first traces (JAX,
    TensorFlow) or runs (PyTorch), so rates at 0 before the first step switch dropout off. The step
    returns Keras's running mean of the loss: restarted before each step, it is that step's loss."""
    import keras
    model = namespace["model"]
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    namespace["reset"](0)
    batch = keras.ops.convert_to_tensor(idx)  # the timed loop's type: one row of the device-resident batches
    losses = []
    for _ in range(steps):
        namespace["restart_loss_mean"]()
        losses.append(float(namespace["train_step"](batch)))
    return losses, canonical_from_keras(namespace["trained_model"]())


def canonical_from_chainer(net) -> dict[str, np.ndarray]:
    """Chainer's layouts are PyTorch's; its names are paths ("/conv1/W"), and L.NStepGRU keeps six
    matrices and six biases per layer (w0..w2 the input kernels of r, z, n, w3..w5 the recurrent ones)."""
    from chainer.backends.cuda import to_cpu
    state = {name: to_cpu(p.array) for name, p in net.namedparams()}
    torch_state = {}
    for name, w in state.items():
        layer, *_, kind = name.strip("/").split("/")
        if layer != "gru":
            torch_state[f"{layer}.{'weight' if kind == 'W' else 'bias'}"] = w
    if "/gru/0/w0" in state:
        gates = lambda kind, ids: np.concatenate([state[f"/gru/0/{kind}{i}"] for i in ids])
        torch_state.update({"gru.weight_ih_l0": gates("w", "012"), "gru.weight_hh_l0": gates("w", "345"),
                            "gru.bias_ih_l0": gates("b", "012"), "gru.bias_hh_l0": gates("b", "345")})
    return canonical_from_torch(torch_state)


def chainer(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off with chainer.config.train = False: F.dropout is then the identity, and the graph is
    still recorded and differentiated as in training (the CNN has no BatchNorm)."""
    import chainer as chainer_
    namespace["reset"](0)
    batch = namespace["device"].send(idx)  # the timed loop's type: a row of the device-resident batches
    with chainer_.using_config("train", False):
        losses = [float(namespace["train_step"](batch)) for _ in range(steps)]
    return losses, canonical_from_chainer(namespace["net"])


def mxnet(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off: the runner's symbol is bound once more with every Dropout's p at 0, and that Module
    stands in for the runner's global `mod` while its reset and train_step run (forward(is_train=False)
    would also switch oneDNN's max-pool to its inference kernel, whose backward gives wrong gradients
    in mxnet 1.9.1). MXNet's layouts are PyTorch's; its names are conv1_weight, and mx.sym.RNN keeps
    one packed vector (input kernels, recurrent kernels, input biases, recurrent biases; gates r, z, n)."""
    import json
    import mxnet as mx
    from mxnet import nd
    mod = namespace["mod"]
    graph = json.loads(mod.symbol.tojson())
    for node in graph["nodes"]:
        if node["op"] == "Dropout":  # the GRU has none
            node["attrs"]["p"] = "0"
    check = mx.mod.Module(mx.sym.load_json(json.dumps(graph)), data_names=mod.data_names, label_names=mod.label_names, context=namespace["ctx"])
    check.bind(data_shapes=mod.data_shapes, label_shapes=mod.label_shapes)
    namespace["mod"] = check
    try:
        namespace["reset"](0)
        batch = nd.array(idx, namespace["ctx"], dtype="int64")  # the timed loop's type: a row of the device-resident batches
        losses = [float(namespace["train_step"](batch).asscalar()) for _ in range(steps)]
    finally:
        namespace["mod"] = mod
    state = {name.replace("_", "."): w.asnumpy() for name, w in check.get_params()[0].items()}
    if "gru.parameters" in state:
        hidden, inputs = namespace["hp"].hidden, namespace["hp"].embed_dim
        sizes = np.cumsum([3 * hidden * inputs, 3 * hidden * hidden, 3 * hidden])
        w_ih, w_hh, b_ih, b_hh = np.split(state.pop("gru.parameters"), sizes)
        state.update({"gru.weight_ih_l0": w_ih.reshape(3 * hidden, inputs), "gru.weight_hh_l0": w_hh.reshape(3 * hidden, hidden),
                      "gru.bias_ih_l0": b_ih, "gru.bias_hh_l0": b_hh})
    return losses, canonical_from_torch(state)


def canonical_from_mlx(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """MLX's names and layouts back to the canonical ones: the inverse of the runners' mlx_layout
    (OHWI -> HWIO, (out, in) -> (in, out); the GRU's Wx, Wh, b and bh hold the r, z, n gates one
    above the other, (out, in) as nn.Linear's)."""
    gru_kinds = {"Wx": "input_kernel", "Wh": "recurrent_kernel", "b": "input_bias", "bh": "recurrent_bias"}
    weights = {}
    for name, w in state.items():
        layer, kind = name.split(".")
        if layer == "gru":
            weights.update({f"gru.{gru_kinds[kind]}.{gate}": part.T for gate, part in zip("rzn", np.split(w, 3, axis=0))})
        elif layer == "embedding":
            weights["embedding.table"] = w
        else:
            weights[f"{layer}.{'kernel' if kind == 'weight' else 'bias'}"] = w.transpose(1, 2, 3, 0) if w.ndim == 4 else w.T
    return weights


def mlx(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off with net.eval(): nn.Dropout is then the identity, and nn.value_and_grad still
    differentiates the runner's step (the check runs fp32: the eager step, traced anew every call)."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    net = namespace["net"]
    namespace["reset"](0)
    net.eval()
    try:
        batch = mx.array(idx)  # the timed loop's type: a row of the batches as an mx.array
        losses = [float(namespace["train_step"](batch).item()) for _ in range(steps)]
    finally:
        net.train()
    return losses, canonical_from_mlx({name: np.array(w) for name, w in tree_flatten(net.parameters())})


def paddle(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off with the network's own training flag only: the CNN's F.dropout calls read it; net.eval()
    would also put nn.GRU's rnn operator in inference mode, which keeps nothing for its backward. Paddle's
    layouts are PyTorch's but for the dense kernels, (in, out) as the canonical ones; its parameter names
    are PyTorch's (named_parameters, since nn.GRU's state dict names its weights twice)."""
    import paddle as paddle_
    net = namespace["net"]
    namespace["reset"](0)
    net.train()  # the forward check leaves every layer in inference mode
    net.training = False
    batch = paddle_.to_tensor(idx)  # the timed loop's type: a row of the device-resident batches
    losses = [float(namespace["train_step"](batch)) for _ in range(steps)]
    net.training = True
    state = {name: p.numpy() for name, p in net.named_parameters()}
    torch_state = {name: w.T if name.startswith("dense") and w.ndim == 2 else w for name, w in state.items()}
    return losses, canonical_from_torch(torch_state)


def theano(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """In Theano, dropout is part of the compiled step: the CNN runner's compile_step(train=False)
    compiles its step once more, the runner's way, with the dropout masks left out of the graph, and
    that function stands in for the runner's `step` while its train_step runs (the GRU has no dropout).
    The parameters are shared variables by canonical name (`p`): Theano's layouts are the canonical
    ones but for the CNN's conv kernels (OIHW) and its first dense layer's rows ((C, H, W) order)."""
    step = namespace["step"]
    if "compile_step" in namespace:
        namespace["step"] = namespace["compile_step"](train=False)
    try:
        namespace["reset"](0)
        losses = [float(namespace["train_step"](idx)) for _ in range(steps)]  # idx: the timed loop's type, an int64 row
    finally:
        namespace["step"] = step
    weights = {}
    for name, w in ((name, p.get_value()) for name, p in namespace["p"].items()):
        if name == "dense1.kernel":
            w = w.reshape(100, 8, 8, 512).transpose(1, 2, 0, 3).reshape(6400, 512)
        weights[name] = w.transpose(2, 3, 1, 0) if w.ndim == 4 else w
    return losses, weights


def tinygrad(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """Dropout off: Tensor.dropout is the identity while the runner's reset and train_step run (the step
    enters Context(TRAINING=1), which its optimizer needs and which would switch dropout on). tinygrad's
    names and layouts are PyTorch's; the GRU runner's cell names its tensors as nn.GRUCell does (gru.weight_ih)."""
    from tinygrad import Tensor
    dropout = Tensor.dropout
    Tensor.dropout = lambda self, p=0.5: self
    try:
        namespace["reset"](0)
        batch = Tensor(idx.astype(np.int32), device=namespace["device"])  # the timed loop's type: one realized batch of indices
        losses = [namespace["train_step"](batch).item() for _ in range(steps)]
    finally:
        Tensor.dropout = dropout
    state = {name: t.numpy() for name, t in namespace["state"].items()}
    return losses, canonical_from_torch({f"{name}_l0" if name.startswith("gru.") else name: w for name, w in state.items()})


def tfjs(namespace: dict, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """host.py's runner in Node runs its reset(0) and train step with dropout off and writes its weights
    back: canonical names and layouts, except the GRU's kernels and biases, which hold the gates r, z, n side by side."""
    losses, state = namespace["tfjs"].train(idx, steps)
    weights = {}
    for name, w in state.items():
        if name.startswith("gru."):
            weights.update({f"{name}.{gate}": part for gate, part in zip("rzn", np.split(w, 3, axis=-1))})
        else:
            weights[name] = w
    return losses, weights


TRAINING = {
    "pytorch": pytorch,
    "jax": jax,
    "keras": keras,
    "tensorflow": tensorflow,
    "gluon": gluon,
    "mxnet": mxnet,
    "chainer": chainer,
    "theano": theano,
    "paddle": paddle,
    "mlx": mlx,
    "tinygrad": tinygrad,
    "tfjs": tfjs,
    "r-keras": keras,
}
