"""The Keras runners (runners/keras/) on the jax backend, in the keras-jax environment
(KERAS_BACKEND=jax): they keep the house layout, their GRU network built from the canonical
weights has the spec's size, a runner exits with code 3 when keras cannot be imported, and the
training-step check drives Keras's own compiled step. The other two backends run the same files in
their own environments. The Rosetta check of every network and a smoke run of every runner are the
build's tests (tests/pipeline/runners.test.ts)."""

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


# The training-step check runs the runner's train_step, Keras's own compiled step, with dropout off:
# it passes for the runner as it is and fails for an optimizer other than the spec's.
SGD = "keras.optimizers.SGD(hp.lr, momentum=hp.momentum, nesterov=False)"
MUTATIONS = {"the runner as it is": SGD, "Nesterov momentum": SGD.replace("nesterov=False", "nesterov=True")}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_training_step_check_passes_for_keras_own_step_and_fails_for_nesterov_momentum(mutation, tmp_path):
    import equivalence
    source = checks.runner_file(KERAS, "cnn-cifar10").read_text()
    assert SGD in source
    runner = tmp_path / "keras" / "cnn_cifar10.py"  # the folder names the family
    runner.parent.mkdir()
    runner.write_text(source.replace(SGD, MUTATIONS[mutation], 1))
    outcome = equivalence.check(runner, checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path / "no-data")))
    assert outcome["training"]["passed"] is (mutation == "the runner as it is"), outcome["training"]
