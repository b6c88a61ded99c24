"""Timing (spec rule 3): the clock stops only after the device has finished the work."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Untimed training steps before the timed repeats (compilation, autotuning, allocator warm-up).
WARMUP_STEPS = 5


@dataclass
class Timer:
    seconds: float = float("nan")


@contextmanager
def timed(sync: Callable[[], object]) -> Iterator[Timer]:
    """`with timed(sync) as t: ...` then t.seconds. `sync` blocks until the device is idle
    (torch.cuda.synchronize, a block_until_ready, ...); it runs before starting and before
    stopping the clock, so earlier queued work is not counted and this work is not cut short."""
    timer = Timer()
    sync()
    start = time.perf_counter()
    yield timer
    sync()
    timer.seconds = time.perf_counter() - start


def no_sync() -> None:
    """The sync of a device whose operations return when they are done (PyTorch on the CPU)."""
