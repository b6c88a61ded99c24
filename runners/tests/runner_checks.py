"""Checks shared by the tests of every framework's runners (test_<framework>.py), each run in its
framework's environment: the house sections, a network built from the canonical weights (which
imports the framework: a broken environment fails here), and the exit code without the framework.
The Rosetta check of every network and a smoke run of every runner are the build's tests
(tests/pipeline/runners.test.ts), not repeated here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import rosetta
from equivalence.sections import run_sections, section_names

RUNNERS = Path(__file__).resolve().parents[1]
LIB = RUNNERS / "lib"  # the runners' PYTHONPATH (runners/README.md): the shared module only
REPO = RUNNERS.parent
TRAINING = ["Training step", "Training and evaluation"]  # the check runs the first; runners/README.md
SECTIONS = {"cnn_cifar10": TRAINING, "gru_imdb": TRAINING, "resnet50_features": ["Inference"]}


def runner_file(runner_dir: Path, benchmark: str) -> Path:
    return runner_dir / f"{benchmark.replace('-', '_')}.py"


def spec(framework: str, benchmark: str, profile: str = "smoke", mode: str = "fp32", data_dir: str = "no-data", **params) -> dict:
    """A cell spec as the build writes it (runners/README.md), for the cpu target."""
    defaults = json.loads((REPO / "content" / "benchmarks" / f"{benchmark}.json").read_text())["profiles"][profile]
    return {"spec_version": 1, "protocol": 1, "key": "test", "benchmark": benchmark, "framework": framework, "target": "cpu",
            "mode": mode, "profile": profile, "device": "cpu", "params": {**defaults, **params}, "data_dir": data_dir, "seed": 0}


def write_cell(tmp_path: Path, framework: str, benchmark: str, **options) -> Path:
    path = tmp_path / f"{benchmark}.json"
    path.write_text(json.dumps(spec(framework, benchmark, data_dir=str(tmp_path / "no-data"), **options)))
    return path


def check_sections(runner: Path) -> None:
    source = runner.read_text()
    assert section_names(source) == ["Hyper-parameters", "Data", "Network", *SECTIONS[runner.stem], "Timing and result"]
    assert source.startswith("# ") and source.count("\n") <= 200


def check_network_size(runner_dir: Path, framework: str, benchmark: str, tmp_path: Path) -> None:
    """Runs the runner's sections up to its network (as the Rosetta check does, without the probe):
    the framework imports, and the network built from the canonical weights has the spec's size."""
    namespace = run_sections(runner_file(runner_dir, benchmark), spec(framework, benchmark, data_dir=str(tmp_path / "no-data")))
    assert int(namespace["param_count"]) == rosetta.PARAM_COUNTS[rosetta.BENCHMARKS[benchmark].model]


def run_runner(runner: Path, framework: str, benchmark: str, tmp_path: Path, **options) -> dict:
    """Runs the runner as the build does (spec on standard input, PYTHONPATH=runners/lib, the
    framework's variables already in this environment); checks the protocol and returns the result event."""
    env = dict(os.environ, PYTHONPATH=str(LIB))
    done = subprocess.run([sys.executable, str(runner), "--cell", "-"], input=write_cell(tmp_path, framework, benchmark, **options).read_text(),
                          capture_output=True, text=True, env=env, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["protocol"] == 1 for line in lines)
    assert [line["event"] for line in lines].count("result") == 1 and lines[-1]["event"] == "result"
    return lines[-1]


def check_exit_code_3_without_the_framework(runner: Path, framework: str, package: str, tmp_path: Path) -> None:
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(f"raise ImportError('{package}: cannot open shared object file')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{LIB}")
    done = subprocess.run([sys.executable, str(runner), "--cell", str(write_cell(tmp_path, framework, "cnn-cifar10"))],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert done.returncode == 3 and done.stdout == "" and "cannot open shared object file" in done.stderr
