"""The JAX runners (runners/jax/), in the JAX environment: they keep the house layout, every repeat
of a run starts again from the canonical weights (JAX's state is explicit, so a runner could carry
it over; a smoke run has one repeat, so the build's tests cannot see it) with the spec's parameter
count, the CNN's repeats draw different dropout masks, and a runner exits with code 3 when jax
cannot be imported. The Rosetta check of every network and a smoke run of every runner are the
build's tests (tests/pipeline/runners.test.ts)."""

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
def test_gru_runner_reports_one_result_and_every_repeat_starts_from_the_canonical_weights(tmp_path):
    result = checks.run_runner(JAX / "gru_imdb.py", FRAMEWORK, "gru-imdb", tmp_path, repeats=2)
    assert result["param_count"] == rosetta.PARAM_COUNTS["gru"] and result["fast_path"] == [] and result["fused_rnn"] is False
    assert result["environment"]["framework"] == "jax" and result["environment"]["tf32"] is False
    first, second = result["loss_per_epoch"]
    assert first == second and 0.5 < first[0] < 1.0  # about ln 2 after two steps, and the same in each repeat
    assert 0 <= result["accuracy"] <= 1 and result["accuracies"][0] == result["accuracies"][1]


@needs_jax
def test_cnn_repeats_draw_their_dropout_masks_from_seed_plus_repeat(tmp_path):
    result = checks.run_runner(JAX / "cnn_cifar10.py", FRAMEWORK, "cnn-cifar10", tmp_path, repeats=2)
    first, second = result["loss_per_epoch"]
    assert first != second  # the same canonical start and data order: only the dropout masks differ (spec rule 5)


def test_runner_exits_with_code_3_when_jax_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(JAX / "cnn_cifar10.py", FRAMEWORK, "jax", tmp_path)

