"""The JAX runners (runners/jax/), in the JAX environment: their networks, built from the canonical
weights, are the spec's networks (NumPy references), and a runner speaks the protocol."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference
import rosetta
from rosetta.rng import Random

RUNNERS = Path(__file__).resolve().parents[1]
JAX = RUNNERS / "jax"
REPO = RUNNERS.parent
BANNER = re.compile(r"^#{45}\n#\s+(.+?)\s+#\n#{45}$", re.M)
SECTIONS = {"cnn_cifar10": "Training and evaluation", "gru_imdb": "Training and evaluation", "resnet50_features": "Inference"}
TOLERANCE = 1e-4  # max |diff| relative to the output's scale (shared/benchmarks.md, "Equivalence")
needs_jax = pytest.mark.skipif(importlib.util.find_spec("flax") is None, reason="jax and flax are not installed")


def write_cell(tmp_path: Path, benchmark: str, profile: str = "smoke", mode: str = "fp32", **params) -> Path:
    defaults = json.loads((REPO / "content" / "benchmarks" / f"{benchmark}.json").read_text())["profiles"][profile]
    path = tmp_path / f"{benchmark}.json"
    path.write_text(json.dumps({"spec_version": 1, "protocol": 1, "key": "test", "benchmark": benchmark, "framework": "jax",
                                "target": "cpu", "mode": mode, "profile": profile, "device": "cpu", "params": {**defaults, **params},
                                "data_dir": str(tmp_path / "no-data"), "seed": 0}))
    return path


def run_sections(runner: str, cell: Path, monkeypatch, *names: str) -> dict:
    """Executes the runner's imports and the named sections (the others blanked, so line numbers
    hold) and returns its namespace: the runners are scripts, read top to bottom."""
    source = (JAX / f"{runner}.py").read_text()
    parts = BANNER.split(source)  # prelude, name, body, name, body, ...
    code = parts[0] + "".join(f"\n\n\n{body}" if name in names else "\n" * (body.count("\n") + 3)
                              for name, body in zip(parts[1::2], parts[2::2]))
    monkeypatch.setattr(sys, "argv", [runner, "--cell", str(cell)])
    namespace = {"__name__": runner}
    exec(compile(code, str(JAX / f"{runner}.py"), "exec"), namespace)
    return namespace


def assert_close(y, expected, floor: float = 0.0) -> None:
    y = np.asarray(y, np.float64)
    assert y.shape == expected.shape
    assert np.abs(y - expected).max() <= TOLERANCE * max(np.abs(expected).max(), floor)


def conv(x: np.ndarray, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    """NHWC x, HWIO kernel, symmetric zero padding k // 2, any stride (cross-correlation)."""
    k = kernel.shape[0]
    x = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    ho, wo = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    return sum(x[:, i:i + stride * ho:stride, j:j + stride * wo:stride] @ kernel[i, j] for i in range(k) for j in range(k))


def resnet50_features(w: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """ResNet-50 v1.5 without the classifier, BatchNorm in inference mode (runners/rosetta/weights.py), float64."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    relu = lambda v: np.maximum(v, 0)
    bn = lambda v, n: (v - w[f"{n}.mean"]) / np.sqrt(w[f"{n}.var"] + 1e-5) * w[f"{n}.gamma"] + w[f"{n}.beta"]
    x = relu(bn(conv(images.astype(np.float64), w["stem.conv.kernel"], 2), "stem.bn"))
    x = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)  # max-pool 3x3/2, padding 1
    h, v = (x.shape[1] - 3) // 2 + 1, (x.shape[2] - 3) // 2 + 1
    x = np.max([x[:, i:i + 2 * h:2, j:j + 2 * v:2] for i in range(3) for j in range(3)], axis=0)
    for stage, blocks in enumerate((3, 4, 6, 3), start=1):
        for i in range(blocks):
            p, stride = f"layer{stage}.{i}", 2 if stage > 1 and i == 0 else 1
            out = relu(bn(conv(x, w[f"{p}.conv1.kernel"]), f"{p}.bn1"))
            out = relu(bn(conv(out, w[f"{p}.conv2.kernel"], stride), f"{p}.bn2"))  # v1.5: the stride on the 3x3
            out = bn(conv(out, w[f"{p}.conv3.kernel"]), f"{p}.bn3")
            x = relu(out + (bn(conv(x, w[f"{p}.downsample.conv.kernel"], stride), f"{p}.downsample.bn") if i == 0 else x))
    return x.mean(axis=(1, 2))


@pytest.mark.parametrize("runner", sorted(SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    source = (JAX / f"{runner}.py").read_text()
    assert BANNER.findall(source) == ["Hyper-parameters", "Data", "Network", SECTIONS[runner], "Timing and result"]
    assert source.startswith("# ") and source.count("\n") <= 200


@needs_jax
def test_cnn_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(tmp_path, monkeypatch):
    from flax import nnx
    ns = run_sections("cnn_cifar10", write_cell(tmp_path, "cnn-cifar10"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["cnn"]
    images = Random(5).uniform((2, 32, 32, 3))  # NHWC
    nnx.update(ns["net"], ns["canonical"])
    logits = nnx.jit(lambda net, x: net(x))(ns["eval_net"], images)
    assert_close(logits, reference.cnn_logits(rosetta.canonical_weights("cnn"), images))


@needs_jax
def test_gru_from_canonical_weights_in_the_cudnn_convention_matches_the_numpy_reference(tmp_path, monkeypatch):
    from flax import nnx
    ns = run_sections("gru_imdb", write_cell(tmp_path, "gru-imdb"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["gru"]
    tokens = rosetta.keras_sequences([list(range(1, 200, 3)), [5, 29_999, 17]], vocab_size=30_000, seq_len=150)
    nnx.update(ns["net"], ns["canonical"])
    assert_close(ns["net"](tokens), reference.gru_logits(rosetta.canonical_weights("gru"), tokens), floor=1e-2)


@needs_jax
def test_resnet50_v1_5_from_canonical_weights_matches_the_numpy_reference(tmp_path, monkeypatch):
    from flax import nnx
    ns = run_sections("resnet50_features", write_cell(tmp_path, "resnet50-features"), monkeypatch, "Hyper-parameters", "Data", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["resnet50"]
    images = ns["host"][0]  # (2, 64, 64, 3) at the smoke profile
    features = nnx.jit(lambda net, x: net(x))(ns["net"], images)  # one compilation, not one per operation
    assert_close(features, resnet50_features(rosetta.canonical_weights("resnet50"), images))


@needs_jax
def test_gru_runner_reports_one_result_and_every_repeat_starts_from_the_canonical_weights(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(RUNNERS / "lib"))
    spec = write_cell(tmp_path, "gru-imdb", repeats=2).read_text()  # on standard input, as the build passes it
    done = subprocess.run([sys.executable, str(JAX / "gru_imdb.py"), "--cell", "-"], input=spec,
                          capture_output=True, text=True, env=env, timeout=180, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["protocol"] == 1 for line in lines)
    assert [line["event"] for line in lines].count("result") == 1 and lines[-1]["event"] == "result"
    result = lines[-1]
    assert result["param_count"] == rosetta.PARAM_COUNTS["gru"] and result["fast_path"] == [] and result["fused_rnn"] is False
    assert result["environment"]["framework"] == "jax" and result["environment"]["tf32"] is False
    first, second = result["loss_per_epoch"]
    assert first == second and 0.5 < first[0] < 1.0  # about ln 2 after two steps, and the same in each repeat
    assert 0 <= result["accuracy"] <= 1 and result["accuracies"][0] == result["accuracies"][1]


def test_runner_exits_with_code_3_when_jax_cannot_be_imported(tmp_path):
    (tmp_path / "jax").mkdir()
    (tmp_path / "jax" / "__init__.py").write_text("raise ImportError('libjax_common.so: cannot open shared object file')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{RUNNERS / 'lib'}")
    done = subprocess.run([sys.executable, str(JAX / "cnn_cifar10.py"), "--cell", str(write_cell(tmp_path, "cnn-cifar10"))],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert done.returncode == 3 and done.stdout == "" and "libjax_common.so" in done.stderr
