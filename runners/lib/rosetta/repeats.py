"""Timed repeats (spec rule 5), the machine's calibration around them, and interleaved rounds.

`for repeat in rosetta.repeats(cell):` yields 1..cell.repeats. Before each repeat and after the
last one it times a short fixed workload (a float32 GEMM; on a cuda cell also on the GPU when CuPy
is there): if that figure moves during a cell, the machine changed speed under it, and the build
marks the cell noisy. When the build interleaves cells (`cell.interleaved`), each repeat first
waits for its turn (a `turn` event on stdout, then the line `go` on stdin): the build runs the
repeats of several cells in rounds, round-robin, one process at a time, so that a change of machine
load hits every framework alike.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import numpy as np

from . import protocol  # at call time: protocol imports this module
from .cell import Cell

GEMM_SIZE = 1024
GEMM_RUNS = 5
CALIBRATION = f"float32 GEMM {GEMM_SIZE}x{GEMM_SIZE}x{GEMM_SIZE}, median of {GEMM_RUNS} runs"

# What repeats() saw, for the result (protocol.build_result): one record per repeat, and the
# calibration readings (one before each repeat, one after the last).
_rounds: list[dict] = []
_calibration: list[dict] = []


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _gflops(matmul, sync) -> float:
    """GFLOP/s of the GEMM: one untimed run, then the median of GEMM_RUNS timed runs."""
    matmul()
    sync()
    seconds = []
    for _ in range(GEMM_RUNS):
        start = time.perf_counter()
        matmul()
        sync()
        seconds.append(time.perf_counter() - start)
    return 2 * GEMM_SIZE ** 3 / statistics.median(seconds) / 1e9


def _gpu_gflops() -> float | None:
    try:
        import cupy
    except Exception:  # no CuPy in this environment: the GPU figure is unknown, not guessed
        return None
    a = cupy.ones((GEMM_SIZE, GEMM_SIZE), cupy.float32)
    return _gflops(lambda: a @ a, cupy.cuda.runtime.deviceSynchronize)


def calibrate(cell: Cell) -> dict:
    """One calibration reading: the GEMM's GFLOP/s on the CPU (and GPU), and the 1-minute load."""
    a = np.random.default_rng(0).standard_normal((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    return {
        "at": _now(),
        "cpu_gflops": round(_gflops(lambda: a @ a, lambda: None), 3),
        "gpu_gflops": _gpu_gflops() if cell.device == "cuda" else None,
        "load_1m": round(os.getloadavg()[0], 2),
    }


def _wait_for_turn(repeat: int) -> None:
    protocol.emit("turn", repeat=repeat)
    if sys.stdin.readline().strip() != "go":
        print("rosetta: the build stopped before this repeat's turn came; exiting", file=sys.stderr)
        sys.exit(1)


def repeats(cell: Cell) -> Iterator[int]:
    """The repeat numbers 1..cell.repeats, each after its calibration (and its turn)."""
    _rounds.clear()
    _calibration.clear()
    for repeat in range(1, cell.repeats + 1):
        if cell.interleaved:
            _wait_for_turn(repeat)
        _calibration.append(calibrate(cell))
        _rounds.append({"repeat": repeat, "round": repeat if cell.interleaved else None, "started_at": _now()})
        yield repeat
    _calibration.append(calibrate(cell))


def record() -> dict:
    """What the result reports of the repeats: their rounds and the calibration readings."""
    return {"rounds": list(_rounds), "calibration": {"workload": CALIBRATION, "readings": list(_calibration)}}
