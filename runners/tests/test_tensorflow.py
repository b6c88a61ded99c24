"""The TensorFlow runners (runners/tensorflow/: Keras layers, tf.function steps with tf.GradientTape)
in the tensorflow environment: they keep the house layout, their GRU network built from the
canonical weights has the spec's size, every repeat starts again from the canonical weights (a smoke
run has one repeat, so the build's tests cannot see it), the CNN's repeats draw different dropout
masks, and a runner exits with code 3 when tensorflow cannot be imported. The Rosetta check of every
network and a smoke run of every runner are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import pytest

import rosetta
import runner_checks as checks

pytest.importorskip("tensorflow")

TENSORFLOW = checks.RUNNERS / "tensorflow"
FRAMEWORK = "tensorflow"


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(TENSORFLOW / f"{runner}.py")


def test_gru_network_from_the_canonical_weights_has_the_spec_size(tmp_path):
    checks.check_network_size(TENSORFLOW, FRAMEWORK, "gru-imdb", tmp_path)


def test_gru_runner_reports_one_result_and_every_repeat_starts_from_the_canonical_weights(tmp_path):
    result = checks.run_runner(TENSORFLOW / "gru_imdb.py", FRAMEWORK, "gru-imdb", tmp_path, repeats=2)
    assert result["param_count"] == rosetta.PARAM_COUNTS["gru"] and result["fast_path"] == [] and result["fused_rnn"] is False
    assert result["environment"]["framework"] == "tensorflow" and result["environment"]["tf32"] is False
    first, second = result["loss_per_epoch"]
    assert first == second and 0.5 < first[0] < 1.0  # about ln 2 after two steps, and the same in each repeat
    assert 0 <= result["accuracy"] <= 1 and result["accuracies"][0] == result["accuracies"][1]


def test_cnn_repeats_draw_their_dropout_masks_from_seed_plus_repeat(tmp_path):
    result = checks.run_runner(TENSORFLOW / "cnn_cifar10.py", FRAMEWORK, "cnn-cifar10", tmp_path, repeats=2)
    first, second = result["loss_per_epoch"]
    assert first != second  # the same canonical start and data order: only the dropout masks differ (spec rule 5)


def test_runner_exits_with_code_3_when_tensorflow_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(TENSORFLOW / "cnn_cifar10.py", FRAMEWORK, "tensorflow", tmp_path)

