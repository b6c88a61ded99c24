"""The JSON-lines protocol on stdout (runners/README.md, "The protocol").

Importing this module claims stdout for the protocol: file descriptor 1 and sys.stdout are pointed
at stderr, so that whatever a framework prints (from Python, C++ or a child process) cannot corrupt
the protocol, and the protocol writes to a private copy of the real stdout.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from typing import IO, NoReturn

import numpy as np

from .cell import BENCHMARKS, PROTOCOL, Cell
from .environment import machine
from .repeats import record


def _claim_stdout() -> IO[str]:
    sys.stdout.flush()
    try:
        private = os.dup(1)
        os.dup2(2, 1)
        stream = os.fdopen(private, "w", buffering=1, encoding="utf-8")
    except (OSError, ValueError):  # no usable descriptor 1: keep what Python has
        stream = sys.stdout
    sys.stdout = sys.stderr
    return stream


class ProtocolError(RuntimeError):
    pass


def plain(value: object) -> object:
    """JSON-ready copy: NumPy scalars and arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Emitter:
    """Writes protocol events to one stream; exactly one result, and nothing after it."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.finished = False

    def emit(self, event: str, **fields: object) -> None:
        if self.finished:
            raise ProtocolError(f"'{event}' event after the result event")
        self.finished = event == "result"
        self.stream.write(json.dumps({"protocol": PROTOCOL, "event": event, **plain(fields)}, allow_nan=False) + "\n")
        self.stream.flush()

    def progress(self, phase: str, *, every: int = 10, **fields: object) -> None:
        """A progress event; one with a `step` that is not a multiple of `every` is skipped, and
        fields that are None (or not finite, such as a NaN loss) are left out."""
        step = fields.get("step")
        if step is not None and step % every != 0:
            return
        self.emit("progress", phase=phase, **{k: v for k, v in plain(fields).items() if v is not None})


_emitter = Emitter(_claim_stdout())


def emit(event: str, **fields: object) -> None:
    """Emits one protocol event (see runners/README.md)."""
    _emitter.emit(event, **fields)


def progress(phase: str, *, every: int = 10, **fields: object) -> None:
    """Emits a progress event (phase: setup, warmup, train, eval or infer), rate-limited by step."""
    _emitter.progress(phase, every=every, **fields)


def stats(samples: list[float]) -> dict:
    """{"samples", "median", "min", "max"} of the given samples."""
    values = [float(s) for s in samples]
    if not values:
        raise ValueError("no samples")
    return {"samples": values, "median": float(np.median(values)), "min": min(values), "max": max(values)}


def build_result(cell: Cell, *, seconds: list[float], items: int, warmup_s: float, param_count: int,
                 fast_path: list[str], data: dict, environment: dict,
                 epoch_seconds: list[list[float]] | None = None, loss_per_epoch: list[list[float]] | None = None,
                 accuracies: list[float] | None = None, checksum: float | None = None,
                 fused_rnn: bool | None = None, notes: list[str] = (), repeats: dict | None = None) -> dict:
    """The result event's fields (runners/README.md). `seconds`: the timed region of each repeat
    (training: all epochs; inference: one pass); `items`: images or samples processed in it;
    `repeats`: what rosetta.repeats() recorded (its rounds and calibration readings)."""
    repeats = repeats if repeats is not None else record()
    if len(seconds) != cell.repeats:
        raise ValueError(f"{len(seconds)} timed samples for {cell.repeats} repeats")
    if len(repeats["rounds"]) != cell.repeats:
        raise ValueError(f"{len(repeats['rounds'])} repeats went through rosetta.repeats(cell) for {cell.repeats} "
                         "repeats: loop over rosetta.repeats(cell)")
    bench = BENCHMARKS[cell.benchmark]
    if bench.kind == "training":
        metric = {"name": "train_seconds", "unit": "s", **stats(seconds)}
    else:
        metric = {"name": "seconds_per_1000_images", "unit": "s", **stats([s / items * 1000 for s in seconds])}
    notes = list(notes)
    if data.get("synthetic") and bench.kind == "training":
        notes.append(f"{data['name']} was not found in {cell.data_dir}/: trained on the synthetic stand-in, "
                     "so the accuracy is a stand-in accuracy (timings are shape-determined and valid)")
    return {
        "metric": metric,
        "throughput": {"unit": bench.throughput_unit, **stats([items / s for s in seconds])},
        "warmup_s": float(warmup_s),
        "epoch_seconds": epoch_seconds,
        "loss_per_epoch": loss_per_epoch,
        "accuracy": accuracies[-1] if accuracies else None,
        "accuracies": accuracies,
        "checksum": checksum,
        "param_count": int(param_count),
        "fast_path": list(fast_path),
        "fused_rnn": fused_rnn,
        "data": data,
        "environment": environment,
        "machine": machine(environment),
        "rounds": repeats["rounds"],
        "calibration": repeats["calibration"],
        "notes": notes,
    }


def report(cell: Cell, **fields: object) -> None:
    """Builds the result (see build_result for the fields) and emits it: the last line on stdout."""
    _emitter.emit("result", **build_result(cell, **fields))


def unavailable(error: BaseException) -> NoReturn:
    """For a runner whose framework cannot be imported: the error to stderr, exit code 3."""
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    print(f"rosetta: the framework cannot be imported: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(3)
