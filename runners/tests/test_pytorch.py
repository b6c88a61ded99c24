"""The PyTorch runners: their networks, built from the canonical weights, are the spec's networks.
The end-to-end runs at the smoke profile belong to the build's tests; one quick one is here."""

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
PYTORCH = RUNNERS / "pytorch"
REPO = RUNNERS.parent
BANNER = re.compile(r"^#{45}\n#\s+(.+?)\s+#\n#{45}$", re.M)
SECTIONS = {"cnn_cifar10": "Training and evaluation", "gru_imdb": "Training and evaluation", "resnet50_features": "Inference"}
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")


def write_cell(tmp_path: Path, benchmark: str, profile: str = "smoke", mode: str = "fp32") -> Path:
    params = json.loads((REPO / "content" / "benchmarks" / f"{benchmark}.json").read_text())["profiles"][profile]
    path = tmp_path / f"{benchmark}.json"
    path.write_text(json.dumps({"spec_version": 1, "protocol": 1, "key": "test", "benchmark": benchmark, "framework": "pytorch",
                                "target": "cpu", "mode": mode, "profile": profile, "device": "cpu", "params": params,
                                "data_dir": str(tmp_path / "no-data"), "seed": 0}))
    return path


def run_sections(runner: str, cell: Path, monkeypatch, *names: str) -> dict:
    """Executes the runner's imports and the named sections (the others blanked, so line numbers
    hold) and returns its namespace: the runners are scripts, read top to bottom."""
    source = (PYTORCH / f"{runner}.py").read_text()
    parts = BANNER.split(source)  # prelude, name, body, name, body, ...
    code = parts[0] + "".join(f"\n\n\n{body}" if name in names else "\n" * (body.count("\n") + 3)
                              for name, body in zip(parts[1::2], parts[2::2]))
    monkeypatch.setattr(sys, "argv", [runner, "--cell", str(cell)])
    namespace = {"__name__": runner}
    exec(compile(code, str(PYTORCH / f"{runner}.py"), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("runner", sorted(SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    source = (PYTORCH / f"{runner}.py").read_text()
    assert BANNER.findall(source) == ["Hyper-parameters", "Data", "Network", SECTIONS[runner], "Timing and result"]
    assert source.startswith("# ") and source.count("\n") <= 200


@needs_torch
def test_cnn_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(tmp_path, monkeypatch):
    import torch
    ns = run_sections("cnn_cifar10", write_cell(tmp_path, "cnn-cifar10"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["cnn"]
    images = Random(5).uniform((2, 32, 32, 3))  # NHWC
    net = ns["net"]
    net.load_state_dict(ns["canonical"])
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))).numpy()
    expected = reference.cnn_logits(rosetta.canonical_weights("cnn"), images)
    assert np.abs(logits - expected).max() <= 1e-4 * np.abs(expected).max()


@needs_torch
def test_gru_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(tmp_path, monkeypatch):
    import torch
    ns = run_sections("gru_imdb", write_cell(tmp_path, "gru-imdb"), monkeypatch, "Hyper-parameters", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["gru"]
    tokens = rosetta.keras_sequences([list(range(1, 200, 3)), [5, 29_999, 17]], vocab_size=30_000, seq_len=150)
    net = ns["net"]
    net.load_state_dict(ns["canonical"])
    with torch.no_grad():
        logits = net(torch.from_numpy(tokens)).numpy()
    expected = reference.gru_logits(rosetta.canonical_weights("gru"), tokens)
    assert np.abs(logits - expected).max() <= 1e-4 * max(np.abs(expected).max(), 1e-2)


@needs_torch
def test_resnet50_from_canonical_weights_has_the_spec_size_and_moderate_finite_features(tmp_path, monkeypatch):
    import torch
    ns = run_sections("resnet50_features", write_cell(tmp_path, "resnet50-features"), monkeypatch, "Hyper-parameters", "Data", "Network")
    assert ns["param_count"] == rosetta.PARAM_COUNTS["resnet50"]
    net, canonical = ns["net"], rosetta.canonical_weights("resnet50")
    assert np.array_equal(net.layer3[5].bn3.running_var.numpy(), canonical["layer3.5.bn3.var"])
    assert np.array_equal(net.stem.conv.weight.detach().numpy(), canonical["stem.conv.kernel"].transpose(3, 2, 0, 1))
    with torch.no_grad():
        features = net(ns["host"][0]).numpy()
    assert features.shape == (2, 2048) and np.isfinite(features).all() and 0.1 < np.abs(features).mean() < 10


@needs_torch
def test_runner_writes_only_protocol_lines_on_stdout_ending_in_one_result(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(RUNNERS / "lib"))
    spec = write_cell(tmp_path, "resnet50-features").read_text()  # on standard input, as the build passes it
    done = subprocess.run([sys.executable, str(PYTORCH / "resnet50_features.py"), "--cell", "-"], input=spec,
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["protocol"] == 1 for line in lines)
    assert [line["event"] for line in lines].count("result") == 1 and lines[-1]["event"] == "result"
    result = lines[-1]
    assert result["param_count"] == rosetta.PARAM_COUNTS["resnet50"] and result["fast_path"] == [] and result["environment"]["tf32"] is False
    assert result["metric"]["name"] == "seconds_per_1000_images" and np.isfinite(result["checksum"])


def test_runner_exits_with_code_3_when_torch_cannot_be_imported(tmp_path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('libtorch_cpu.so: cannot open shared object file')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{RUNNERS / 'lib'}")
    done = subprocess.run([sys.executable, str(PYTORCH / "cnn_cifar10.py"), "--cell", str(write_cell(tmp_path, "cnn-cifar10"))],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert done.returncode == 3 and done.stdout == "" and "libtorch_cpu.so" in done.stderr
