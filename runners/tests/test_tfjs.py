"""The TensorFlow.js runners (runners/tfjs/*.ts, run by runners/tfjs/host.py), in their environment: they
keep the house layout (as // comments), their networks built from the canonical weights have the spec's
sizes, fast mode swaps in the faster kernels and fp32 keeps TF.js's own, the backend that ran is read
back, repeat r of the CNN draws its dropout masks from seed + r, a cuda cell fails rather than run on
the CPU (the WASM backend has no GPU), and the host exits with code 3 without a Node that runs
TypeScript or without the pinned TF.js packages. The Rosetta check and a smoke run are the build's
tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rosetta
import runner_checks as checks
from equivalence.sections import section_names

TFJS = checks.RUNNERS / "tfjs"
FRAMEWORK = "tfjs"
BENCHMARKS = ["cnn-cifar10", "resnet50-features", "gru-imdb"]
# Skipped only where the TF.js packages are absent (no npm ci at the root); in its own environment
# python.test.ts runs this file with --framework=tfjs, where any skip fails the suite.
needs_tfjs = pytest.mark.skipif(not (checks.REPO / "node_modules" / "@tensorflow" / "tfjs").exists(), reason="TF.js is not installed (npm ci)")

spec_ = importlib.util.spec_from_file_location("tfjs_host", TFJS / "host.py")
host = importlib.util.module_from_spec(spec_)
spec_.loader.exec_module(host)


def start(benchmark: str, tmp_path: Path, **options) -> host.Runner:
    """The runner's Node process as host.py starts it, on the smoke profile's data and weights."""
    spec = {**checks.spec(FRAMEWORK, benchmark, data_dir=str(tmp_path / "no-data")), **options}
    folder = tmp_path / benchmark
    folder.mkdir(parents=True)
    (folder / "cell.json").write_text(json.dumps(spec))
    host.inputs(rosetta.parse_cell(spec), folder)
    cwd = os.getcwd()
    os.chdir(checks.REPO)  # the build's working directory: the repository's Node is node_modules/.bin/node
    try:
        return host.Runner(TFJS / f"{benchmark.replace('-', '_')}.ts", folder)
    finally:
        os.chdir(cwd)


def stop(run: host.Runner) -> None:
    run.process.stdin.close()
    run.process.wait(timeout=30)


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_runner_has_the_house_sections_in_order_and_stays_short(benchmark):
    source = (TFJS / f"{benchmark.replace('-', '_')}.ts").read_text()
    as_python = re.sub(r"^// ?", "", source, flags=re.M)  # the banners are Python's, behind //
    assert section_names(as_python) == ["Hyper-parameters", "Data", "Network", *checks.SECTIONS[benchmark.replace("-", "_")], "Timing and result"]
    assert source.startswith("// ") and source.count("\n") <= 200


@needs_tfjs
@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_network_from_the_canonical_weights_has_the_spec_size_on_the_wasm_backend(benchmark, tmp_path):
    run = start(benchmark, tmp_path)
    try:
        assert run.info["param_count"] == rosetta.PARAM_COUNTS[rosetta.BENCHMARKS[benchmark].model]
        assert run.info["wasm"]["backend"] == "wasm" and run.info["wasm"]["threads"] >= 1  # read back from the backend
        assert run.info["framework_version"].startswith("4.22.0 (wasm, simd, 1 thread, Node ")
    finally:
        stop(run)


@needs_tfjs
def test_fast_mode_swaps_in_the_faster_kernels_for_the_same_step_and_fp32_keeps_tfjs_own(tmp_path):
    np.save(tmp_path / "idx.npy", np.arange(8, dtype=np.int32))  # a short batch
    losses = {}
    for mode, fast_path in [("fp32", []), ("fast", ["tf.fused (conv2d, matMul)", "Conv2DBackpropInput as an XNNPACK Conv2D", "BatchMatMul untransposed"])]:
        run = start("cnn-cifar10", tmp_path / mode, mode=mode)
        try:
            assert run.info["fast_path"] == fast_path
            losses[mode] = [run("step", repeat=0, idx=str(tmp_path / "idx.npy")) for _ in range(2)]  # the second after an update
        finally:
            stop(run)
    assert losses["fast"] == pytest.approx(losses["fp32"], rel=1e-4)


@needs_tfjs
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    run = start("cnn-cifar10", tmp_path)
    try:
        np.save(tmp_path / "idx.npy", np.arange(8, dtype=np.int32))
        first_loss = lambda repeat: run("step", repeat=repeat, idx=str(tmp_path / "idx.npy"))
        assert first_loss(1) == first_loss(1) != first_loss(2)
    finally:
        stop(run)


@needs_tfjs
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path, capfd):
    with pytest.raises(RuntimeError, match="exited with code 1"):
        start("resnet50-features", tmp_path, device="cuda")
    assert "runs on the CPU only, not cuda" in capfd.readouterr().err


def copy_of_the_runners(tmp_path: Path) -> Path:
    """runners/tfjs in a repository of its own, with no node_modules."""
    (tmp_path / "runners").mkdir()
    shutil.copytree(TFJS, tmp_path / "runners" / "tfjs", ignore=shutil.ignore_patterns("node_modules", "_*"))
    return tmp_path


@pytest.mark.parametrize("missing", ["node", "tfjs"])
def test_host_exits_with_code_3_without_node_or_without_tfjs(missing, tmp_path):
    repo = copy_of_the_runners(tmp_path)
    real_node = checks.REPO / "node_modules" / ".bin" / "node"
    if missing == "tfjs" and real_node.exists():
        (repo / "node_modules" / ".bin").mkdir(parents=True)
        (repo / "node_modules" / ".bin" / "node").symlink_to(real_node.resolve())
    env = dict(os.environ, PYTHONPATH=str(checks.LIB), PATH=os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not shutil.which("node", path=p)))
    done = subprocess.run([sys.executable, "runners/tfjs/host.py", "runners/tfjs/cnn_cifar10.ts", "--cell", str(checks.write_cell(tmp_path, FRAMEWORK, "cnn-cifar10"))],
                          capture_output=True, text=True, env=env, timeout=60, cwd=repo)
    assert done.returncode == 3 and done.stdout == ""
    assert ("@tensorflow/tfjs 4.22.0 is not installed" if missing == "tfjs" else "no Node.js") in done.stderr
