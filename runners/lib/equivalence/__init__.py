"""The Rosetta check (shared/benchmarks.md, "Equivalence"): a framework's network, built by its own
runner from the canonical weights, against the framework-neutral NumPy reference on a fixed probe
input, fp32 on the CPU; and its parameter count against the spec's.

    outcome = equivalence.check(Path("runners/jax/cnn_cifar10.py"), spec)   # spec: a cell spec (dict)

`python -m equivalence --runner PATH --cell -` prints the outcome as the protocol's result event (the
build runs it in the framework's environment as one more kind of job, and records it). Separate
from the shared module rosetta/, so that changing the check never invalidates a measured cell.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
from pathlib import Path

# The real standard output, for `python -m equivalence`'s one line: copied before rosetta points
# descriptor 1 at stderr (the package is imported before its __main__ runs).
STDOUT = os.fdopen(os.dup(1), "w", encoding="utf-8")

import numpy as np  # noqa: E402

import rosetta  # noqa: E402
from rosetta.rng import Random  # noqa: E402

from . import forward, reference, reference_cache, training  # noqa: E402
from .sections import MODEL_SECTIONS, run_sections  # noqa: E402

VERSION = 2
TOLERANCE = 1e-4  # max |diff| relative to the output's scale
# Two steps: the second one reads the optimizer's state (momentum, Adam's moments). Float32 against
# float64 differs by about 1e-3 after them (measured: PyTorch's CNN 2.6e-3, its loss 4e-6), and more
# with every further step (7e-3 after three): the tolerances leave room for that, and a wrong
# optimizer convention or a tensor left out of the update is off by 3e-2 to 1.
TRAINING_STEPS = 2
LOSS_TOLERANCE = 1e-4  # |loss - reference| relative to the reference loss, at every step
UPDATE_TOLERANCE = 1e-2  # per tensor: |trained - reference| relative to |reference - initial| (Euclidean norms)
SCALE_FLOOR = {"gru": 1e-2}  # the GRU's two logits can both be near zero: a floor keeps "relative" meaningful
PACKAGES = {"pytorch": ["torch"], "jax": ["jax", "flax"], "keras": ["keras", "jax", "torch", "tensorflow"], "tensorflow": ["tensorflow", "keras"], "onnxruntime": ["onnxruntime", "onnx"],
            "gluon": ["mxnet"], "mxnet": ["mxnet"], "chainer": ["chainer", "numpy"], "theano": ["Theano", "numpy"], "paddle": ["paddlepaddle", "numpy"], "mlx": ["mlx", "mlx-cpu"], "tinygrad": ["tinygrad", "numpy"],
            "tfjs": ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "numpy"], "r-keras": ["keras", "tensorflow", "tensorflow-cpu"]}


def probe(model: str, params) -> tuple[np.ndarray, str]:
    """The fixed input of each model, NHWC images or front-padded token ids, and its description."""
    if model == "gru":
        long = [1 + (7 * i) % (params.vocab_size - 1) for i in range(params.seq_len + 50)]  # 50 tokens more than seq_len
        reviews = [long, [5, params.vocab_size + 7, 17]]  # and one short, with an out-of-vocabulary word
        tokens = rosetta.keras_sequences(reviews, vocab_size=params.vocab_size, seq_len=params.seq_len)
        return tokens, (f"2 reviews as {params.seq_len} token ids: one of {len(long)} tokens, truncated to its last {params.seq_len}, "
                        "one of 3 tokens front-padded, with an out-of-vocabulary word")
    size = 32 if model == "cnn" else params.image_size
    return Random(5).uniform((2, size, size, 3)), f"2 uniform random images {size}x{size}x3 (seed 5)"


def versions(family: str) -> dict[str, str]:
    found = {}
    for package in PACKAGES[family]:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            npm = Path(__file__).resolve().parents[3] / "node_modules" / package / "package.json"  # a TypeScript runner's, from npm
            if npm.exists():
                found[package] = json.loads(npm.read_text())["version"]
    return found


def check(runner: Path, spec: dict, namespace: dict | None = None) -> dict:
    """Builds the runner's network with `spec` as its cell (fp32, cpu), runs it on the model's probe
    and compares with the NumPy reference; for a training benchmark also runs the runner's own
    training step (training_check). Raises if the runner cannot build its network. A runner in
    another language is built by its host, which passes the `namespace` its sections would leave
    (data, param_count and what the family's forward and training adapters read)."""
    family, cell = runner.parent.name, rosetta.parse_cell(spec)
    model = rosetta.BENCHMARKS[cell.benchmark].model
    if cell.mode != "fp32" or cell.device != "cpu":
        raise ValueError(f"the check runs in fp32 on the cpu, not {cell.mode} on {cell.device}")
    trains = model in reference.GRADIENTS
    if namespace is None:
        namespace = run_sections(runner, spec, MODEL_SECTIONS + (("Training step",) if trains else ()))
    x, described = probe(model, cell.params)
    y = np.asarray(forward.FORWARD[family](namespace, x), np.float64)
    expected = reference.FORWARD[model](initial_weights(model, cell.params), x)
    if y.shape != expected.shape:
        raise ValueError(f"the network's output has shape {y.shape}, the reference's {expected.shape}")
    max_abs_diff = float(np.abs(y - expected).max()) if np.isfinite(y).all() else float("inf")
    scale = max(float(np.abs(expected).max()), SCALE_FLOOR.get(model, 0.0))
    param_count, expected_count = int(namespace["param_count"]), rosetta.PARAM_COUNTS[model]
    trained = training_check(family, model, cell, namespace) if trains else None
    return {
        "check_version": VERSION,
        "model": model,
        "probe": described,
        "output_shape": list(y.shape),
        "max_abs_diff": max_abs_diff,
        "scale": scale,
        "relative_diff": max_abs_diff / scale,
        "tolerance": TOLERANCE,
        "param_count": param_count,
        "expected_param_count": expected_count,
        "training": trained,
        "passed": bool(max_abs_diff <= TOLERANCE * scale and param_count == expected_count and (trained is None or trained["passed"])),
        "versions": versions(family),
    }


def emit(outcome: dict) -> None:
    """Prints a check's outcome as the protocol's one result event, on the real standard output."""
    if not math.isfinite(outcome["max_abs_diff"]):
        outcome = {**outcome, "max_abs_diff": None, "relative_diff": None}  # JSON has no infinity
    STDOUT.write(json.dumps({"protocol": rosetta.cell.PROTOCOL, "event": "result", **outcome}) + "\n")
    STDOUT.flush()


def initial_weights(model: str, params) -> dict[str, np.ndarray]:
    sizes = dict(vocab_size=params.vocab_size, embed_dim=params.embed_dim, hidden=params.hidden) if model == "gru" else {}
    return rosetta.canonical_weights(model, **sizes)


def optimizers(model: str, params, deviations: list[str]) -> tuple[str, object, object | None]:
    """The optimizer's name, the algorithm the runner is compared with, and the spec's when that
    one differs from it by design (training.ADAM_DEVIATIONS), else None."""
    if model == "cnn":
        return "SGD with momentum", reference.sgd_momentum(params.lr, params.momentum), None
    adam = lambda **variant: reference.adam(params.lr, params.beta1, params.beta2, params.epsilon, **variant)
    if deviations:
        variant = adam(epsilon_on_corrected="epsilon" not in deviations, occurrence_squares="occurrences" in deviations)
        return f"Adam ({'; '.join(training.ADAM_DEVIATIONS[d] for d in deviations)})", variant, adam()
    return "Adam", adam(), None


def compare(losses, weights, expected_losses, expected, initial) -> tuple[float, float, str]:
    """The largest relative difference of the losses, and of the tensors' updates with the tensor."""
    loss_diff = max(abs(a - b) / abs(b) for a, b in zip(losses, expected_losses)) if np.isfinite(losses).all() else float("inf")
    update_diffs = {key: float(np.linalg.norm(np.asarray(weights[key], np.float64) - expected[key]) / max(np.linalg.norm(expected[key] - initial[key]), 1e-30))
                    for key in expected}
    worst = max(update_diffs, key=update_diffs.get)
    return loss_diff, update_diffs[worst], worst


finite = lambda value: value if math.isfinite(value) else None  # JSON has no infinity


def training_check(family: str, model: str, cell, namespace: dict) -> dict:
    """TRAINING_STEPS steps of the runner's own training step (its loss, backward and optimizer,
    fp32, dropout off) on the first batch of the shared order, from the canonical weights, against
    the float64 reference: the loss at every step, and every trained tensor's change."""
    data = namespace["data"]
    idx = rosetta.epoch_batches(len(data.y_train), cell.params.batch_size, cell.seed, 0)[0]
    losses, trained = training.TRAINING[family](namespace, idx, TRAINING_STEPS)
    initial = initial_weights(model, cell.params)
    deviations = training.adam_deviations(family, namespace) if model == "gru" else []
    name, update, spec_update = optimizers(model, cell.params, deviations)
    x, y = data.x_train[idx], data.y_train[idx]
    expected_losses, expected = reference_cache.train(model, f"{name} {cell.params!r}", update, initial, x, y, TRAINING_STEPS)
    if sorted(trained) != sorted(expected):
        raise ValueError(f"the trained weights are {sorted(trained)}, the reference's {sorted(expected)}")
    loss_diff, update_diff, worst = compare(losses, trained, expected_losses, expected, initial)
    by_design = None
    if spec_update is not None:  # how far the framework's documented algorithm is from the spec's, in float64
        spec_losses, spec_weights = reference_cache.train(model, f"Adam {cell.params!r}", spec_update, initial, x, y, TRAINING_STEPS)
        spec_loss_diff, spec_update_diff, spec_worst = compare(expected_losses, expected, spec_losses, spec_weights, initial)
        by_design = {"difference": f"the framework's Adam: {'; '.join(training.ADAM_DEVIATIONS[d] for d in deviations)}",
                     "loss_relative_diff": spec_loss_diff, "update_relative_diff": spec_update_diff, "worst_tensor": spec_worst}
    return {
        "steps": TRAINING_STEPS,
        "batch": len(idx),
        "optimizer": name,
        "losses": [finite(float(v)) for v in losses],
        "expected_losses": expected_losses,
        "loss_relative_diff": finite(loss_diff),
        "loss_tolerance": LOSS_TOLERANCE,
        "update_relative_diff": finite(update_diff),
        "worst_tensor": worst,
        "update_tolerance": UPDATE_TOLERANCE,
        "by_design": by_design,
        "passed": bool(loss_diff <= LOSS_TOLERANCE and update_diff <= UPDATE_TOLERANCE),
    }
