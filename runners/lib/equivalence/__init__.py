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
import os
from pathlib import Path

# The real standard output, for `python -m equivalence`'s one line: copied before rosetta points
# descriptor 1 at stderr (the package is imported before its __main__ runs).
STDOUT = os.fdopen(os.dup(1), "w", encoding="utf-8")

import numpy as np  # noqa: E402

import rosetta  # noqa: E402
from rosetta.rng import Random  # noqa: E402

from . import forward, reference  # noqa: E402
from .sections import run_sections  # noqa: E402

VERSION = 1
TOLERANCE = 1e-4  # max |diff| relative to the output's scale
SCALE_FLOOR = {"gru": 1e-2}  # the GRU's two logits can both be near zero: a floor keeps "relative" meaningful
PACKAGES = {"pytorch": ["torch"], "jax": ["jax", "flax"], "keras": ["keras", "jax", "torch", "tensorflow"], "tensorflow": ["tensorflow", "keras"],
            "onnxruntime": ["onnxruntime", "onnx"], "mlx": ["mlx", "mlx-cpu"]}


def probe(model: str, params) -> tuple[np.ndarray, str]:
    """The fixed input of each model, NHWC images or front-padded token ids, and its description."""
    if model == "gru":
        reviews = [list(range(1, 200, 3)), [5, 29_999, 17]]  # one longer than seq_len, one short with an out-of-vocabulary word
        tokens = rosetta.keras_sequences(reviews, vocab_size=params.vocab_size, seq_len=params.seq_len)
        return tokens, f"2 reviews of {params.seq_len} token ids (one truncated, one front-padded with an out-of-vocabulary word)"
    size = 32 if model == "cnn" else params.image_size
    return Random(5).uniform((2, size, size, 3)), f"2 uniform random images {size}x{size}x3 (seed 5)"


def versions(family: str) -> dict[str, str]:
    found = {}
    for package in PACKAGES[family]:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def check(runner: Path, spec: dict) -> dict:
    """Builds the runner's network with `spec` as its cell (fp32, cpu), runs it on the model's probe
    and compares with the NumPy reference. Raises if the runner cannot build its network."""
    family, cell = runner.parent.name, rosetta.parse_cell(spec)
    model = rosetta.BENCHMARKS[cell.benchmark].model
    if cell.mode != "fp32" or cell.device != "cpu":
        raise ValueError(f"the check runs in fp32 on the cpu, not {cell.mode} on {cell.device}")
    namespace = run_sections(runner, spec)
    x, described = probe(model, cell.params)
    y = np.asarray(forward.FORWARD[family](namespace, x), np.float64)
    sizes = dict(vocab_size=cell.params.vocab_size, embed_dim=cell.params.embed_dim, hidden=cell.params.hidden) if model == "gru" else {}
    expected = reference.FORWARD[model](rosetta.canonical_weights(model, **sizes), x)
    if y.shape != expected.shape:
        raise ValueError(f"the network's output has shape {y.shape}, the reference's {expected.shape}")
    max_abs_diff = float(np.abs(y - expected).max()) if np.isfinite(y).all() else float("inf")
    scale = max(float(np.abs(expected).max()), SCALE_FLOOR.get(model, 0.0))
    param_count, expected_count = int(namespace["param_count"]), rosetta.PARAM_COUNTS[model]
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
        "passed": bool(max_abs_diff <= TOLERANCE * scale and param_count == expected_count),
        "versions": versions(family),
    }
