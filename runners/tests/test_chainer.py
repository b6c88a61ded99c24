"""The Chainer runners (runners/chainer/), in their environment: they keep the house layout, their networks
built from the canonical weights have the spec's sizes, fast mode switches Chainer's type checks off and
fp32 keeps them on, repeat r of the CNN draws its dropout masks from seed + r, a cuda cell never falls
back to the CPU (this environment has no CuPy), and a runner exits with code 3 when chainer cannot be
imported. The Rosetta check and a smoke run are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import runner_checks as checks
from equivalence.sections import run_sections

CHAINER = checks.RUNNERS / "chainer"
FRAMEWORK = "chainer"
# Skipped only where chainer is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=chainer, where any skip fails the suite.
needs_chainer = pytest.mark.skipif(importlib.util.find_spec("chainer") is None, reason="chainer is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(CHAINER / f"{runner}.py")


@needs_chainer
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(CHAINER, FRAMEWORK, benchmark, tmp_path)


@needs_chainer
@pytest.mark.parametrize("mode, type_check", [("fp32", True), ("fast", False)])
def test_fast_mode_switches_the_type_checks_off_and_fp32_keeps_them(mode, type_check, tmp_path):
    import chainer
    namespace = run_sections(checks.runner_file(CHAINER, "resnet50-features"), checks.spec(FRAMEWORK, "resnet50-features", mode=mode, data_dir=str(tmp_path)))
    assert namespace["fast_path"] == ([] if type_check else ["type_check off"])
    assert chainer.config.type_check is type_check


@needs_chainer
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    sections = ("Hyper-parameters", "Data", "Network", "Training step")
    namespace = run_sections(checks.runner_file(CHAINER, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), sections)
    idx = np.arange(8)  # a short batch keeps NumPy's convolutions quick

    def first_loss(repeat):
        namespace["reset"](repeat)
        return float(namespace["train_step"](idx))

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_chainer
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="no CuPy"):
        run_sections(checks.runner_file(CHAINER, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_chainer_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(CHAINER / "cnn_cifar10.py", FRAMEWORK, "chainer", tmp_path)
