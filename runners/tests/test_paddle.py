"""The PaddlePaddle runners (runners/paddle/), in their environment: they keep the house layout, their networks
built from the canonical weights have the spec's sizes, fast mode traces the network with paddle.jit.to_static
(and the result says which backend ran it) while fp32 stays in the dynamic graph, every runner uses the cores
it may use rather than Paddle's one thread, repeat r of the CNN draws its dropout masks from seed + r in both
modes, a cuda cell never falls back to the CPU (these pins are the CPU build), and a runner exits with code 3
when paddle cannot be imported. The Rosetta check and a smoke run are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util
import os

import pytest

import runner_checks as checks
from equivalence.sections import run_sections

PADDLE = checks.RUNNERS / "paddle"
FRAMEWORK = "paddle"
# Skipped only where paddle is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=paddle, where any skip fails the suite.
needs_paddle = pytest.mark.skipif(importlib.util.find_spec("paddle") is None, reason="paddlepaddle is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(PADDLE / f"{runner}.py")


@needs_paddle
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(PADDLE, FRAMEWORK, benchmark, tmp_path)


@needs_paddle
@pytest.mark.parametrize("mode", ["fp32", "fast"])
def test_fast_mode_runs_a_static_program_and_fp32_the_dynamic_graph_on_every_core(mode, tmp_path):
    result = checks.run_runner(PADDLE / "resnet50_features.py", FRAMEWORK, "resnet50-features", tmp_path, mode=mode)
    static = [note for note in result["notes"] if note.startswith("paddle.jit.to_static")]
    if mode == "fast":
        assert result["fast_path"] == ["paddle.jit.to_static"] and "1 static program(s), backend PHI" in static[0]
    else:
        assert result["fast_path"] == [] and static == []
    assert f"{len(os.sched_getaffinity(0))} CPU threads (FLAGS_paddle_num_threads" in " ".join(result["notes"])


@needs_paddle
@pytest.mark.parametrize("mode", ["fp32", "fast"])
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(mode, tmp_path):
    import paddle
    sections = ("Hyper-parameters", "Data", "Network", "Training step")
    namespace = run_sections(checks.runner_file(PADDLE, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", mode=mode, data_dir=str(tmp_path)), sections)
    idx = paddle.arange(8)  # a short batch keeps the CPU's convolutions quick

    def first_loss(repeat):
        namespace["reset"](repeat)
        return float(namespace["train_step"](idx))

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_paddle
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="CPU build"):
        run_sections(checks.runner_file(PADDLE, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_paddle_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(PADDLE / "cnn_cifar10.py", FRAMEWORK, "paddle", tmp_path)
