"""The cell spec: what one runner process is asked to do (runners/README.md, "The cell spec")."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

SPEC_VERSION = 1
PROTOCOL = 1


@dataclass(frozen=True)
class CnnParams:
    train_images: int
    test_images: int
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    repeats: int


@dataclass(frozen=True)
class GruParams:
    train_reviews: int
    test_reviews: int
    epochs: int
    batch_size: int
    lr: float
    beta1: float
    beta2: float
    epsilon: float
    vocab_size: int
    seq_len: int
    embed_dim: int
    hidden: int
    repeats: int


@dataclass(frozen=True)
class ResnetParams:
    batch_size: int
    batches: int
    image_size: int
    passes: int

    @property
    def repeats(self) -> int:
        return self.passes


@dataclass(frozen=True)
class Benchmark:
    kind: str  # "training" or "inference"
    model: str  # the canonical weights' name (rosetta.canonical_weights)
    throughput_unit: str
    params: type


BENCHMARKS = {
    "cnn-cifar10": Benchmark("training", "cnn", "images/s", CnnParams),
    "gru-imdb": Benchmark("training", "gru", "samples/s", GruParams),
    "resnet50-features": Benchmark("inference", "resnet50", "images/s", ResnetParams),
}


@dataclass(frozen=True)
class Cell:
    key: str
    benchmark: str
    framework: str
    target: str
    mode: str  # "fp32" or "fast"
    profile: str  # "full", "cpu" or "smoke"
    device: str  # "cpu" or "cuda"
    params: CnnParams | GruParams | ResnetParams
    data_dir: str
    seed: int
    interleaved: bool = False  # wait for the build's turn before each repeat (rosetta.repeats)

    @property
    def fast(self) -> bool:
        return self.mode == "fast"

    @property
    def kind(self) -> str:
        return BENCHMARKS[self.benchmark].kind

    @property
    def model(self) -> str:
        return BENCHMARKS[self.benchmark].model

    @property
    def repeats(self) -> int:
        return self.params.repeats


def _typed(cls: type, values: dict) -> object:
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    if set(values) != set(fields):
        raise ValueError(f"params for {cls.__name__}: expected {sorted(fields)}, got {sorted(values)}")
    out = {}
    for name, kind in fields.items():
        value = values[name]
        if kind == "int":
            if isinstance(value, bool) or not float(value).is_integer():
                raise ValueError(f"params.{name} must be an integer, got {value!r}")
            value = int(value)
        out[name] = float(value) if kind == "float" else value
    return cls(**out)


def parse_cell(spec: dict) -> Cell:
    """Checks a cell spec (already parsed from JSON) and returns it typed."""
    if spec.get("spec_version") != SPEC_VERSION or spec.get("protocol") != PROTOCOL:
        raise ValueError(f"this runner speaks spec_version {SPEC_VERSION} and protocol {PROTOCOL}, "
                         f"the cell asks for {spec.get('spec_version')} and {spec.get('protocol')}")
    if spec.get("benchmark") not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {spec.get('benchmark')!r}")
    for name, allowed in (("mode", ("fp32", "fast")), ("device", ("cpu", "cuda")), ("profile", ("full", "cpu", "smoke"))):
        if spec.get(name) not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {spec.get(name)!r}")
    params = _typed(BENCHMARKS[spec["benchmark"]].params, spec.get("params") or {})
    return Cell(key=str(spec.get("key", "")), benchmark=spec["benchmark"], framework=str(spec.get("framework", "")),
                target=str(spec.get("target", "")), mode=spec["mode"], profile=spec["profile"], device=spec["device"],
                params=params, data_dir=str(spec.get("data_dir", "data")), seed=int(spec.get("seed", 0)),
                interleaved=spec.get("interleaved") is True)


def read_cell(argv: list[str] | None = None) -> Cell:
    """Reads the cell spec named by `--cell PATH` (`--cell -`: the first line of standard input, which
    stays open for the build's turns when the cell is interleaved), typed."""
    parser = argparse.ArgumentParser(description="Run one benchmark cell (runners/README.md).")
    parser.add_argument("--cell", required=True, help="path to the cell spec (JSON), or - for standard input")
    args = parser.parse_args(argv)
    return parse_cell(json.loads(sys.stdin.readline() if args.cell == "-" else Path(args.cell).read_text()))
