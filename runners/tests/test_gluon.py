"""The Gluon runners (runners/gluon/, MXNet), in their environment: they keep the house layout, their networks
built from the canonical weights have the spec's sizes, fast mode hybridizes (the network becomes a
symbolic graph) and fp32 does not, repeat r of the CNN draws its dropout masks from seed + r, a cuda
cell never falls back to the CPU (this environment's mxnet has no CUDA), and a runner exits with code
3 when mxnet cannot be imported. The Rosetta check and a smoke run are the build's tests
(tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import pytest

import runner_checks as checks
from equivalence.sections import run_sections

GLUON = checks.RUNNERS / "gluon"
FRAMEWORK = "gluon"
# Skipped only where mxnet is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=gluon, where any skip fails the suite.
needs_mxnet = pytest.mark.skipif(importlib.util.find_spec("mxnet") is None, reason="mxnet is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(GLUON / f"{runner}.py")


@needs_mxnet
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(GLUON, FRAMEWORK, benchmark, tmp_path)


@needs_mxnet
@pytest.mark.parametrize("mode, hybridized", [("fp32", False), ("fast", True)])
def test_fast_mode_hybridizes_the_network_and_fp32_runs_it_imperatively(mode, hybridized, tmp_path):
    namespace = run_sections(checks.runner_file(GLUON, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", mode=mode, data_dir=str(tmp_path)))
    net = namespace["net"]
    net(namespace["x_test"][:2])
    assert namespace["fast_path"] == (["hybridize(static_alloc, static_shape)"] if hybridized else [])
    if hybridized:
        net.export(str(tmp_path / "cnn"))  # only a hybridized block has a symbolic graph to export
        assert (tmp_path / "cnn-symbol.json").exists()
    else:
        with pytest.raises(RuntimeError, match="hybridize"):
            net.export(str(tmp_path / "cnn"))


@needs_mxnet
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    sections = ("Hyper-parameters", "Data", "Network", "Training step")
    namespace = run_sections(checks.runner_file(GLUON, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), sections)
    idx = namespace["nd"].arange(64, dtype="int64")

    def first_loss(repeat):
        namespace["reset"](repeat)
        return float(namespace["train_step"](idx).asscalar())

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_mxnet
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="no CUDA"):
        run_sections(checks.runner_file(GLUON, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_mxnet_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(GLUON / "cnn_cifar10.py", FRAMEWORK, "mxnet", tmp_path)
