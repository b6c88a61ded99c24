"""The PyTorch runners (runners/pytorch/), in the PyTorch environment: their networks, built from the
canonical weights, are the spec's networks, and a runner speaks the protocol. The end-to-end runs at
the smoke profile belong to the build's tests; one quick one is here."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import rosetta
import runner_checks as checks

PYTORCH = checks.RUNNERS / "pytorch"
FRAMEWORK = "pytorch"
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(PYTORCH / f"{runner}.py")


@needs_torch
@pytest.mark.parametrize("benchmark", checks.BENCHMARKS)
def test_network_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(benchmark, tmp_path):
    checks.check_equivalence(PYTORCH, FRAMEWORK, benchmark, tmp_path)


@needs_torch
def test_runner_writes_only_protocol_lines_on_stdout_ending_in_one_result(tmp_path):
    result = checks.run_runner(PYTORCH / "resnet50_features.py", FRAMEWORK, "resnet50-features", tmp_path)
    assert result["param_count"] == rosetta.PARAM_COUNTS["resnet50"] and result["fast_path"] == [] and result["environment"]["tf32"] is False
    assert result["metric"]["name"] == "seconds_per_1000_images" and np.isfinite(result["checksum"])


def test_runner_exits_with_code_3_when_torch_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(PYTORCH / "cnn_cifar10.py", FRAMEWORK, "torch", tmp_path)
