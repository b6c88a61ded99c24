"""The tinygrad runners (runners/tinygrad/), in their environment (with content/frameworks/tinygrad.json's
variables): they keep the house layout, their networks built from the canonical weights have the spec's
sizes, they run on tinygrad's CPU device with its C renderer (clang from the ziglang wheel), fast mode
captures with TinyJit and fp32 does not, repeat r draws its dropout masks from seed + r even inside a
captured step, a cuda cell fails rather than run on the CPU, and a runner exits with code 3 when tinygrad
cannot be imported. The Rosetta check and a smoke run are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import runner_checks as checks
from equivalence.sections import run_sections

TINYGRAD = checks.RUNNERS / "tinygrad"
FRAMEWORK = "tinygrad"
# Skipped only where tinygrad is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=tinygrad, where any skip fails the suite.
needs_tinygrad = pytest.mark.skipif(importlib.util.find_spec("tinygrad") is None, reason="tinygrad is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(TINYGRAD / f"{runner}.py")


@needs_tinygrad
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(TINYGRAD, FRAMEWORK, benchmark, tmp_path)


@needs_tinygrad
def test_runners_compute_on_the_cpu_device_with_kernels_in_c_compiled_by_the_wheels_clang():
    from tinygrad import Device, Tensor
    assert Device.DEFAULT == "CPU" and type(Device["CPU"].renderer).__name__ == "ClangRenderer"
    assert (Tensor([1.0, 2.0]) * 3).tolist() == [3.0, 6.0]  # a kernel compiled by $CC and run


@needs_tinygrad
@pytest.mark.parametrize("mode", ["fp32", "fast"])
def test_fast_mode_captures_the_forward_pass_with_tinyjit_and_fp32_does_not(mode, tmp_path):
    namespace = run_sections(checks.runner_file(TINYGRAD, "resnet50-features"), checks.spec(FRAMEWORK, "resnet50-features", mode=mode, data_dir=str(tmp_path)))
    jitted = type(namespace["forward"]).__name__ == "_TinyJit"
    assert namespace["fast_path"] == (["TinyJit"] if mode == "fast" else []) and jitted == (mode == "fast")


@needs_tinygrad
def test_each_repeat_draws_its_dropout_masks_from_seed_plus_repeat_even_in_a_captured_step(tmp_path):
    from tinygrad import Tensor, TinyJit
    from tinygrad.helpers import Context
    sections = ("Hyper-parameters", "Data", "Network", "Training step")
    namespace = run_sections(checks.runner_file(TINYGRAD, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", mode="fast", data_dir=str(tmp_path)), sections)
    draw = TinyJit(lambda: Tensor.ones(256).contiguous().dropout(0.5).realize())  # a step's draw, quick to compile

    def mask(repeat):
        namespace["reset"](repeat)
        with Context(TRAINING=1):
            return draw().numpy().copy()

    first = [mask(1) for _ in range(3)]  # run, capture, replay
    second, again = mask(2), mask(1)  # replays of the captured draw
    assert all(np.array_equal(first[0], m) for m in (*first, again)) and not np.array_equal(first[0], second)


@needs_tinygrad
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="not tried on a GPU"):
        run_sections(checks.runner_file(TINYGRAD, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_tinygrad_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(TINYGRAD / "cnn_cifar10.py", FRAMEWORK, "tinygrad", tmp_path)
