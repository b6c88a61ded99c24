"""rosetta: what every runner shares and no framework should care about (runners/README.md).

Importing it claims stdout for the JSON-lines protocol (see protocol.py). NumPy and the standard
library only: it never imports a framework. A runner calls each piece in one line:

    cell = rosetta.read_cell()                       # --cell PATH or - (stdin), typed: cell.params.batch_size ...
    data = rosetta.load_cifar10(cell)                # or load_imdb / random_images
    weights = rosetta.canonical_weights("cnn")       # {canonical name: float32 array}
    batches = rosetta.epoch_batches(n, batch, cell.seed, epoch)
    for repeat in rosetta.repeats(cell): ...         # 1..repeats, calibrated, in the build's rounds
    with rosetta.timed(sync) as t: ...               # t.seconds, device synchronised
    rosetta.progress("train", epoch=1, step=40, ...)
    rosetta.report(cell, seconds=..., ..., environment=rosetta.environment(cell, version, ...))
    rosetta.unavailable(error)                       # the framework cannot be imported: exit code 3
"""

import os

# Idle OpenMP threads sleep instead of spinning. On a small shared VM (the 2-vCPU build machine) a
# spinning thread takes the core the work needs: PyTorch's CPU GRU step ran 4-10x slower. OpenMP
# reads this when the framework loads, and runners import rosetta first. Recorded in `environment`.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .protocol import ProtocolError, build_result, progress, report, stats, unavailable  # first: claims stdout
from .cell import BENCHMARKS, Cell, CnnParams, GruParams, ResnetParams, parse_cell, read_cell
from .data import Dataset, Images, keras_sequences, load_cifar10, load_imdb, random_images
from .environment import environment, machine
from .repeats import calibrate, repeats
from .shuffle import epoch_batches, epoch_permutation
from .timing import WARMUP_STEPS, no_sync, timed
from .weights import PARAM_COUNTS, canonical_weights, count_parameters

__all__ = [
    "BENCHMARKS", "Cell", "CnnParams", "Dataset", "GruParams", "Images", "PARAM_COUNTS", "ProtocolError",
    "ResnetParams", "WARMUP_STEPS", "build_result", "canonical_weights", "count_parameters", "environment",
    "epoch_batches", "epoch_permutation", "keras_sequences", "load_cifar10", "load_imdb", "no_sync",
    "parse_cell", "progress", "random_images", "read_cell", "repeats", "report", "stats", "timed", "unavailable",
    "calibrate", "machine",
]
