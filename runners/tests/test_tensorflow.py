"""The TensorFlow runners (runners/tensorflow/: Keras layers, tf.function steps with tf.GradientTape)
in the tensorflow environment: their networks, built from the canonical weights, are the spec's
networks, and a runner speaks the protocol."""

from __future__ import annotations

import pytest

import runner_checks as checks

pytest.importorskip("tensorflow")

TENSORFLOW = checks.RUNNERS / "tensorflow"
FRAMEWORK = "tensorflow"


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(TENSORFLOW / f"{runner}.py")


@pytest.mark.parametrize("benchmark", checks.BENCHMARKS)
def test_network_from_canonical_weights_has_the_spec_size_and_matches_the_numpy_reference(benchmark, tmp_path):
    checks.check_equivalence(TENSORFLOW, FRAMEWORK, benchmark, tmp_path)


def test_gru_runner_at_the_smoke_profile_reports_one_result_with_its_training_figures(tmp_path):
    checks.check_gru_smoke_run(TENSORFLOW, FRAMEWORK, tmp_path)


def test_runner_exits_with_code_3_when_tensorflow_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(TENSORFLOW / "cnn_cifar10.py", FRAMEWORK, "tensorflow", tmp_path)
