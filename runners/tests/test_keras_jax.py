"""The Keras runners (runners/keras/) on the jax backend, in the keras-jax environment
(KERAS_BACKEND=jax): their networks, built from the canonical weights, are the spec's networks,
and a runner speaks the protocol. The other two backends run the same files in their own environments."""

from __future__ import annotations

import pytest

import runner_checks as checks

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="KERAS_BACKEND is not jax")

KERAS = checks.RUNNERS / "keras"
FRAMEWORK = "keras-jax"


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(KERAS / f"{runner}.py")


@pytest.mark.parametrize("benchmark", checks.BENCHMARKS)
def test_network_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(benchmark, tmp_path):
    checks.check_equivalence(KERAS, FRAMEWORK, benchmark, tmp_path)


def test_gru_runner_at_the_smoke_profile_reports_one_result_with_its_training_figures(tmp_path):
    checks.check_gru_smoke_run(KERAS, FRAMEWORK, tmp_path)


def test_runner_exits_with_code_3_when_keras_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(KERAS / "cnn_cifar10.py", FRAMEWORK, "keras", tmp_path)
