"""The JAX runners (runners/jax/), in the JAX environment: their networks, built from the canonical
weights, are the spec's networks, and a runner speaks the protocol."""

from __future__ import annotations

import importlib.util

import pytest

import rosetta
import runner_checks as checks

JAX = checks.RUNNERS / "jax"
FRAMEWORK = "jax"
needs_jax = pytest.mark.skipif(importlib.util.find_spec("flax") is None, reason="jax and flax are not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(JAX / f"{runner}.py")


@needs_jax
@pytest.mark.parametrize("benchmark", checks.BENCHMARKS)
def test_network_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(benchmark, tmp_path):
    checks.check_equivalence(JAX, FRAMEWORK, benchmark, tmp_path)


@needs_jax
def test_gru_runner_reports_one_result_and_every_repeat_starts_from_the_canonical_weights(tmp_path):
    result = checks.run_runner(JAX / "gru_imdb.py", FRAMEWORK, "gru-imdb", tmp_path, repeats=2)
    assert result["param_count"] == rosetta.PARAM_COUNTS["gru"] and result["fast_path"] == [] and result["fused_rnn"] is False
    assert result["environment"]["framework"] == "jax" and result["environment"]["tf32"] is False
    first, second = result["loss_per_epoch"]
    assert first == second and 0.5 < first[0] < 1.0  # about ln 2 after two steps, and the same in each repeat
    assert 0 <= result["accuracy"] <= 1 and result["accuracies"][0] == result["accuracies"][1]


def test_runner_exits_with_code_3_when_jax_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(JAX / "cnn_cifar10.py", FRAMEWORK, "jax", tmp_path)
