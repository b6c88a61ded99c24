"""The PyTorch runners (runners/pytorch/), in the PyTorch environment: they keep the house layout,
their GRU network built from the canonical weights has the spec's size, and a runner exits with code
3 when torch cannot be imported. The Rosetta check of every network and a smoke run of every runner
are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import pytest

import runner_checks as checks

PYTORCH = checks.RUNNERS / "pytorch"
FRAMEWORK = "pytorch"
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(PYTORCH / f"{runner}.py")


@needs_torch
def test_gru_network_from_the_canonical_weights_has_the_spec_size(tmp_path):
    checks.check_network_size(PYTORCH, FRAMEWORK, "gru-imdb", tmp_path)


def test_runner_exits_with_code_3_when_torch_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(PYTORCH / "cnn_cifar10.py", FRAMEWORK, "torch", tmp_path)
