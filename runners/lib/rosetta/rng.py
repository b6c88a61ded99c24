"""Version-stable random numbers for everything the runners must share (weights, shuffles, data).

numpy.random.Generator's methods may change from one NumPy release to the next, and the frameworks'
environments pin different NumPy versions. The raw 64-bit output of PCG64 seeded through a
SeedSequence does not change, so every value here is derived from it with exact integer and IEEE
float32/float64 arithmetic only: the same seed gives the same bits in every environment.
"""

from __future__ import annotations

import numpy as np


class Random:
    """Random(1, 2, 3): a stream keyed by a tuple of non-negative integers."""

    def __init__(self, *key: int):
        self._bits = np.random.PCG64(np.random.SeedSequence(list(key)))

    def raw(self, n: int) -> np.ndarray:
        """n raw 64-bit words, uint64."""
        return self._bits.random_raw(int(n))

    def uniform(self, shape: int | tuple, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        """float32 uniform on [low, high), 24 bits of randomness each."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        unit = (self.raw(int(np.prod(shape))) >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
        return (unit * np.float32(high - low) + np.float32(low)).reshape(shape)

    def integers(self, n: int, high: int) -> np.ndarray:
        """int64 in [0, high) (bias below 1e-15 for the sizes used here)."""
        return (self.raw(n) % np.uint64(high)).astype(np.int64)

    def permutation(self, n: int) -> np.ndarray:
        """A permutation of range(n), int64: the order that sorts n random keys."""
        return np.argsort(self.raw(n), kind="stable").astype(np.int64)

    def choice(self, n: int, cumulative: np.ndarray) -> np.ndarray:
        """n draws from the categories 0..k-1 whose cumulative probabilities (ending in 1) are given."""
        unit = (self.raw(n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        return np.searchsorted(cumulative, unit, side="right").astype(np.int64)
