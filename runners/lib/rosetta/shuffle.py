"""Same data, same order (spec rule 2): the per-epoch shuffle every runner uses."""

from __future__ import annotations

import numpy as np

from .rng import Random


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the n training examples in epoch `epoch` (0-based): Random(seed, epoch)'s
    permutation, the same in every framework, every repeat and every NumPy version."""
    return Random(seed, epoch).permutation(n)


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> np.ndarray:
    """Indices of the epoch's batches, shape (n // batch_size, batch_size), int64: row s is step
    s's batch. The last incomplete batch is dropped."""
    steps = n // batch_size
    return epoch_permutation(n, seed, epoch)[: steps * batch_size].reshape(steps, batch_size).astype(np.int64)
