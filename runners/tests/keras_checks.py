"""Checks shared by the tests of the runners built on Keras layers: runners/keras/ (one file per
benchmark, run on each Keras backend: test_keras_jax.py, test_keras_torch.py, test_keras_tensorflow.py)
and runners/tensorflow/ (test_tensorflow.py). Each test file calls these in its framework's environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import reference
import rosetta
from rosetta.rng import Random

RUNNERS = Path(__file__).resolve().parents[1]
LIB = RUNNERS / "lib"  # the runners' PYTHONPATH (runners/README.md): the shared module only
REPO = RUNNERS.parent
BANNER = re.compile(r"^#{45}\n#\s+(.+?)\s+#\n#{45}$", re.M)
SECTIONS = {"cnn_cifar10": "Training and evaluation", "gru_imdb": "Training and evaluation", "resnet50_features": "Inference"}
TOLERANCE = 1e-4  # max |diff| relative to the output's scale (shared/benchmarks.md, "Equivalence")


def write_cell(tmp_path: Path, framework: str, benchmark: str, profile: str = "smoke", mode: str = "fp32") -> Path:
    params = json.loads((REPO / "content" / "benchmarks" / f"{benchmark}.json").read_text())["profiles"][profile]
    path = tmp_path / f"{benchmark}.json"
    path.write_text(json.dumps({"spec_version": 1, "protocol": 1, "key": "test", "benchmark": benchmark, "framework": framework,
                                "target": "cpu", "mode": mode, "profile": profile, "device": "cpu", "params": params,
                                "data_dir": str(tmp_path / "no-data"), "seed": 0}))
    return path


def run_sections(runner: Path, cell: Path, monkeypatch, *names: str) -> dict:
    """Executes the runner's imports and the named sections (the others blanked, so line numbers
    hold) and returns its namespace: the runners are scripts, read top to bottom."""
    parts = BANNER.split(runner.read_text())  # prelude, name, body, name, body, ...
    code = parts[0] + "".join(f"\n\n\n{body}" if name in names else "\n" * (body.count("\n") + 3)
                              for name, body in zip(parts[1::2], parts[2::2]))
    monkeypatch.setattr(sys, "argv", [runner.name, "--cell", str(cell)])
    namespace = {"__name__": runner.stem}
    exec(compile(code, str(runner), "exec"), namespace)
    return namespace


def numpy(x) -> np.ndarray:
    """A framework tensor (any Keras backend) as a float64 NumPy array."""
    import keras
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def assert_close(y: np.ndarray, expected: np.ndarray, floor: float = 0.0) -> None:
    assert y.shape == expected.shape
    assert np.abs(y - expected).max() <= TOLERANCE * max(np.abs(expected).max(), floor)


def check_sections(runner: Path) -> None:
    source = runner.read_text()
    assert BANNER.findall(source) == ["Hyper-parameters", "Data", "Network", SECTIONS[runner.stem], "Timing and result"]
    assert source.startswith("# ") and source.count("\n") <= 200


def check_cnn(runner_dir: Path, framework: str, tmp_path: Path, monkeypatch, model: str) -> None:
    ns = run_sections(runner_dir / "cnn_cifar10.py", write_cell(tmp_path, framework, "cnn-cifar10"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["cnn"]
    images = Random(5).uniform((2, 32, 32, 3))  # NHWC
    logits = numpy(ns[model].predict_on_batch(images))  # inference mode: no dropout
    assert_close(logits, reference.cnn_logits(rosetta.canonical_weights("cnn"), images))


def check_gru(runner_dir: Path, framework: str, tmp_path: Path, monkeypatch, model: str) -> None:
    ns = run_sections(runner_dir / "gru_imdb.py", write_cell(tmp_path, framework, "gru-imdb"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["gru"]
    tokens = rosetta.keras_sequences([list(range(1, 200, 3)), [5, 29_999, 17]], vocab_size=30_000, seq_len=150)
    logits = numpy(ns[model].predict_on_batch(tokens))
    assert_close(logits, reference.gru_logits(rosetta.canonical_weights("gru"), tokens), floor=1e-2)


def check_resnet(runner_dir: Path, framework: str, tmp_path: Path, monkeypatch, model: str) -> None:
    cell = write_cell(tmp_path, framework, "resnet50-features")
    ns = run_sections(runner_dir / "resnet50_features.py", cell, monkeypatch, "Hyper-parameters", "Data", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["resnet50"]
    net, canonical = ns[model], rosetta.canonical_weights("resnet50")
    assert np.array_equal(net.get_layer("layer3_5_bn3").moving_variance.numpy(), canonical["layer3.5.bn3.var"])
    assert np.array_equal(net.get_layer("layer2_0_downsample_conv").kernel.numpy(), canonical["layer2.0.downsample.conv.kernel"])
    features = numpy(net.predict_on_batch(ns["images"].batches[0]))  # BatchNorm in inference mode
    assert features.shape == (2, 2048) and np.isfinite(features).all() and 0.1 < np.abs(features).mean() < 10


def run_runner(runner: Path, framework: str, benchmark: str, tmp_path: Path, mode: str = "fp32") -> dict:
    """Runs the runner as the build does (spec on standard input, PYTHONPATH=runners/lib, the
    framework's variables already in this environment); checks the protocol and returns the result event."""
    env = dict(os.environ, PYTHONPATH=str(LIB))
    spec = write_cell(tmp_path, framework, benchmark, mode=mode).read_text()
    done = subprocess.run([sys.executable, str(runner), "--cell", "-"], input=spec, capture_output=True, text=True,
                          env=env, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["protocol"] == 1 for line in lines)
    assert [line["event"] for line in lines].count("result") == 1 and lines[-1]["event"] == "result"
    return lines[-1]


def check_gru_smoke_run(runner_dir: Path, framework: str, tmp_path: Path) -> None:
    result = run_runner(runner_dir / "gru_imdb.py", framework, "gru-imdb", tmp_path)
    assert result["param_count"] == rosetta.PARAM_COUNTS["gru"] and result["fast_path"] == [] and result["fused_rnn"] is False
    assert result["environment"]["framework"] == framework and result["environment"]["tf32"] is False
    assert len(result["loss_per_epoch"]) == 1 and 0.5 < result["loss_per_epoch"][0][0] < 1.0  # about ln 2 after two steps
    assert 0 <= result["accuracy"] <= 1 and result["data"]["synthetic"] is True


def check_exit_code_3_without_the_framework(runner: Path, framework: str, package: str, tmp_path: Path) -> None:
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(f"raise ImportError('{package}: cannot open shared object file')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{LIB}")
    done = subprocess.run([sys.executable, str(runner), "--cell", str(write_cell(tmp_path, framework, "cnn-cifar10"))],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert done.returncode == 3 and done.stdout == "" and "cannot open shared object file" in done.stderr
