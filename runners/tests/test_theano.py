"""The Theano runners (runners/theano/), in their environment: they keep the house layout, their networks
built from the canonical weights have the spec's sizes, fast mode compiles with the cvm_nogc linker and
trust_input while fp32 keeps FAST_RUN's (intermediates freed), repeat r of the CNN draws its dropout masks
from seed + r, a cuda cell never falls back to the CPU (this environment has no pygpu), and a runner exits
with code 3 when theano cannot be imported. The Rosetta check and a smoke run are the build's tests
(tests/pipeline/runners.test.ts). The first compilation of a step on a fresh machine runs g++ (a minute or
two); Theano's compile cache (base_compiledir in THEANO_FLAGS) serves the later ones."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import runner_checks as checks
from equivalence.sections import run_sections

THEANO = checks.RUNNERS / "theano"
FRAMEWORK = "theano"
STEP = ("Hyper-parameters", "Data", "Network", "Training step")
# Skipped only where theano is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=theano, where any skip fails the suite.
needs_theano = pytest.mark.skipif(importlib.util.find_spec("theano") is None, reason="theano is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(THEANO / f"{runner}.py")


@needs_theano
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(THEANO, FRAMEWORK, benchmark, tmp_path)


@needs_theano
@pytest.mark.parametrize("mode, allow_gc, trust_input", [("fp32", True, False), ("fast", False, True)])
def test_fast_mode_keeps_intermediates_and_trusts_inputs_and_fp32_keeps_fast_runs_defaults(mode, allow_gc, trust_input, tmp_path):
    import theano
    namespace = run_sections(checks.runner_file(THEANO, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", mode=mode, data_dir=str(tmp_path)), STEP)
    step = namespace["step"]  # the compiled training step itself
    assert step.fn.allow_gc is allow_gc and step.trust_input is trust_input
    assert namespace["fast_path"] == ([] if allow_gc else ["cvm_nogc linker", "trust_input"])
    namespace = run_sections(checks.runner_file(THEANO, "gru-imdb"), checks.spec(FRAMEWORK, "gru-imdb", mode=mode, data_dir=str(tmp_path)), ("Hyper-parameters",))
    assert theano.config.scan.allow_gc is allow_gc  # read when the GRU's scan is built
    assert namespace["fast_path"] == ([] if allow_gc else ["cvm_nogc linker", "scan.allow_gc off", "trust_input"])


@needs_theano
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    namespace = run_sections(checks.runner_file(THEANO, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), STEP)
    idx = np.arange(8)  # a short batch keeps the convolutions quick

    def first_loss(repeat):
        namespace["reset"](repeat)
        return float(namespace["train_step"](idx))

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_theano
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="no GPU backend"):
        run_sections(checks.runner_file(THEANO, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_theano_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(THEANO / "cnn_cifar10.py", FRAMEWORK, "theano", tmp_path)
