"""The Keras runners (runners/keras/) on the jax backend, in the keras-jax environment
(KERAS_BACKEND=jax): they keep the house layout, their GRU network built from the canonical
weights has the spec's size, and a runner exits with code 3 when keras cannot be imported. The other
two backends run the same files in their own environments. The Rosetta check of every network and
a smoke run of every runner are the build's tests (tests/pipeline/runners.test.ts)."""

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


def test_gru_network_from_the_canonical_weights_has_the_spec_size(tmp_path):
    checks.check_network_size(KERAS, FRAMEWORK, "gru-imdb", tmp_path)


def test_runner_exits_with_code_3_when_keras_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(KERAS / "cnn_cifar10.py", FRAMEWORK, "keras", tmp_path)
