"""The TensorFlow runners (runners/tensorflow/: Keras layers, tf.function steps with tf.GradientTape)
in the tensorflow environment: they keep the house layout, their GRU network built from the
canonical weights has the spec's size, and a runner exits with code 3 when tensorflow cannot be
imported. The Rosetta check of every network and a smoke run of every runner are the build's tests
(tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import pytest

import runner_checks as checks

pytest.importorskip("tensorflow")

TENSORFLOW = checks.RUNNERS / "tensorflow"
FRAMEWORK = "tensorflow"


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(TENSORFLOW / f"{runner}.py")


def test_gru_network_from_the_canonical_weights_has_the_spec_size(tmp_path):
    checks.check_network_size(TENSORFLOW, FRAMEWORK, "gru-imdb", tmp_path)


def test_runner_exits_with_code_3_when_tensorflow_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(TENSORFLOW / "cnn_cifar10.py", FRAMEWORK, "tensorflow", tmp_path)
