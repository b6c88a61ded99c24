"""The float64 reference's training steps, kept on disk between checks. Every framework's check of a
model trains the same reference from the same weights on the same batch (tens of seconds of NumPy
for the CNN, more on a busy machine), so a result is stored under the sha256 of everything it
depends on: reference.py's source, the initial weights, the batch, the optimizer (its description
and the benchmark's parameters) and the number of steps. The folder is $ROSETTA_REFERENCE_CACHE,
else ~/.cache/rosetta-bench/reference; an entry is written whole (a temporary file, then a rename),
and one that cannot be read is computed again and replaced."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from . import reference

LOSSES = "@losses"  # the array of an entry's losses; the others are the trained weights by name


def folder() -> Path:
    return Path(os.environ.get("ROSETTA_REFERENCE_CACHE") or Path.home() / ".cache" / "rosetta-bench" / "reference")


def digest(model: str, optimizer: str, weights: dict[str, np.ndarray], inputs: np.ndarray, labels: np.ndarray, steps: int) -> str:
    h = hashlib.sha256(Path(reference.__file__).read_bytes())
    h.update(repr((model, optimizer, steps, inputs.dtype.str, inputs.shape, labels.dtype.str, labels.shape)).encode())
    for name in sorted(weights):
        h.update(name.encode() + b"\0" + np.ascontiguousarray(weights[name]).tobytes())
    h.update(np.ascontiguousarray(inputs).tobytes() + np.ascontiguousarray(labels).tobytes())
    return h.hexdigest()


def train(model: str, optimizer: str, update, weights: dict[str, np.ndarray], inputs: np.ndarray, labels: np.ndarray, steps: int):
    """reference.train(reference.GRADIENTS[model], update, ...), or its stored result. `optimizer`
    names `update` completely (its algorithm, variant and hyper-parameters): it is part of the key."""
    path = folder() / f"{digest(model, optimizer, weights, inputs, labels, steps)}.npz"
    try:
        with np.load(path) as stored:
            trained = {name: stored[name] for name in stored.files if name != LOSSES}
            if sorted(trained) == sorted(weights) and len(stored[LOSSES]) == steps:
                return [float(v) for v in stored[LOSSES]], trained
    except Exception:  # none yet, or unreadable: compute it again
        pass
    losses, trained = reference.train(reference.GRADIENTS[model], update, weights, inputs, labels, steps)
    try:
        store(path, losses, trained)
    except OSError:  # a read-only or full disk: the next check computes it again, nothing else
        pass
    return losses, trained


def store(path: Path, losses: list[float], trained: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **{LOSSES: np.asarray(losses, np.float64)}, **trained)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone after the rename; a half-written file otherwise
