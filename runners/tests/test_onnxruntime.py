"""The ONNX Runtime runner (runners/onnxruntime/, resnet50-features only), in its environment: it
keeps the house layout, its graph built from the canonical weights is valid ONNX with the spec's
size, each mode sets the graph optimizations it claims, a cuda cell never falls back to the CPU (this
environment's onnxruntime has no CUDA provider), and the runner exits with code 3 when onnxruntime
cannot be imported. The Rosetta check and a smoke run are the build's tests
(tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import pytest

import rosetta
import runner_checks as checks
from equivalence.sections import run_sections

ONNXRUNTIME = checks.RUNNERS / "onnxruntime"
FRAMEWORK = "onnxruntime"
RUNNER = ONNXRUNTIME / "resnet50_features.py"
# Skipped only where onnxruntime is absent (a run of the shared tests outside its environment); in its
# own environment python.test.ts runs this file with --framework=onnxruntime, where any skip fails the suite.
needs_onnxruntime = pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime is not installed")


def test_runner_has_the_house_sections_in_order_and_stays_short():
    checks.check_sections(RUNNER)


@needs_onnxruntime
def test_graph_from_the_canonical_weights_is_valid_onnx_with_the_spec_size(tmp_path):
    import onnx
    namespace = run_sections(RUNNER, checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)))
    assert namespace["param_count"] == rosetta.PARAM_COUNTS["resnet50"]
    onnx.checker.check_model(namespace["model"], full_check=True)  # with shape inference
    assert [o.name for o in namespace["session"].get_outputs()] == [namespace["output"]]
    assert namespace["session"].get_outputs()[0].shape == ["batch", 2048]


@needs_onnxruntime
@pytest.mark.parametrize("mode, level, fast_path", [("fp32", "ORT_ENABLE_BASIC", []), ("fast", "ORT_ENABLE_ALL", ["ORT_ENABLE_ALL"])])
def test_each_mode_runs_on_the_cpu_provider_with_its_graph_optimization_level(mode, level, fast_path, tmp_path):
    import onnxruntime as ort
    namespace = run_sections(RUNNER, checks.spec(FRAMEWORK, "resnet50-features", mode=mode, data_dir=str(tmp_path)))
    assert namespace["options"].graph_optimization_level == getattr(ort.GraphOptimizationLevel, level)
    assert namespace["fast_path"] == fast_path and namespace["session"].get_providers() == ["CPUExecutionProvider"]


@needs_onnxruntime
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(AssertionError, match="CPUExecutionProvider"):
        run_sections(RUNNER, {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_onnxruntime_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(RUNNER, FRAMEWORK, "onnxruntime", tmp_path)
