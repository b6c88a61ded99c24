"""The MXNet symbolic runners (runners/mxnet/, MXNet's mx.sym + mx.mod.Module), in their environment: they keep
the house layout, their networks built from the canonical weights have the spec's sizes, each network is an
mx.sym graph bound by a Module in both modes (fast adds nothing on the CPU), the GRU is the one fused RNN
operator, repeat r of the CNN draws its dropout masks from seed + r, a cuda cell never falls back to the
CPU (this environment's mxnet has no CUDA), and a runner exits with code 3 when mxnet cannot be
imported. The Rosetta check and a smoke run are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util
import json

import pytest

import runner_checks as checks
from equivalence.sections import run_sections

MXNET = checks.RUNNERS / "mxnet"
FRAMEWORK = "mxnet"
# Skipped only where mxnet is absent (a run of the shared tests outside its environment); in its own
# environment python.test.ts runs this file with --framework=mxnet, where any skip fails the suite.
needs_mxnet = pytest.mark.skipif(importlib.util.find_spec("mxnet") is None, reason="mxnet is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(MXNET / f"{runner}.py")


@needs_mxnet
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(MXNET, FRAMEWORK, benchmark, tmp_path)


@needs_mxnet
@pytest.mark.parametrize("mode", ["fp32", "fast"])
def test_both_modes_bind_the_symbolic_graph_in_a_module_and_fast_adds_nothing_on_the_cpu(mode, tmp_path):
    import mxnet as mx
    namespace = run_sections(checks.runner_file(MXNET, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", mode=mode, data_dir=str(tmp_path)))
    assert isinstance(namespace["net"], mx.sym.Symbol) and isinstance(namespace["mod"], mx.mod.Module)
    assert namespace["mod"].binded and namespace["mod"].for_training
    assert namespace["fast_path"] == []


@needs_mxnet
def test_the_gru_is_the_one_fused_rnn_operator_in_gru_mode(tmp_path):
    namespace = run_sections(checks.runner_file(MXNET, "gru-imdb"), checks.spec(FRAMEWORK, "gru-imdb", data_dir=str(tmp_path)))
    operators = [node for node in json.loads(namespace["net"].tojson())["nodes"] if node["op"] in ("RNN", "GRU", "SequenceLast")]
    assert [(node["op"], node["attrs"]["mode"]) for node in operators] == [("RNN", "gru")]


@needs_mxnet
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    sections = ("Hyper-parameters", "Data", "Network", "Training step")
    namespace = run_sections(checks.runner_file(MXNET, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), sections)
    idx = namespace["nd"].arange(64, dtype="int64")

    def first_loss(repeat):
        namespace["reset"](repeat)
        return float(namespace["train_step"](idx).asscalar())

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_mxnet
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="no CUDA"):
        run_sections(checks.runner_file(MXNET, "resnet50-features"), {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_mxnet_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(MXNET / "cnn_cifar10.py", FRAMEWORK, "mxnet", tmp_path)
