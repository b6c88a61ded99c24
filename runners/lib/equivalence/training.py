"""How to run a training runner's own training step for the check, per family of runners (the
folder a runner lives in): switch dropout off, call the runner's `reset(0)` (canonical weights,
fresh optimizer state) and then its `train_step` `steps` times on the one batch `idx` (indices
into the runner's training set, a NumPy int array), and bring back the loss of every step and the
trained weights, by canonical name in the canonical layout (rosetta/weights.py)."""

from __future__ import annotations

import numpy as np


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


TRAINING = {
    "pytorch": pytorch,
    "jax": jax,
}
