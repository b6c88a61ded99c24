"""The MLX runner (runners/mlx/, resnet50-features only), in its environment: it keeps the house
layout, its network holds the canonical weights in MLX's layout with the spec's size, fast mode runs
the mx.compile'd forward and fp32 the eager one (the same features), a cuda cell never falls back to
the CPU (this environment's mlx-cpu has no GPU backend), and the runner exits with code 3 when mlx
cannot be imported. The Rosetta check and a smoke run are the build's tests
(tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import rosetta
import runner_checks as checks
from equivalence.sections import run_sections

MLX = checks.RUNNERS / "mlx"
FRAMEWORK = "mlx"
RUNNER = MLX / "resnet50_features.py"
# Skipped only where mlx is absent (a run of the shared tests outside its environment); in its
# own environment python.test.ts runs this file with --framework=mlx, where any skip fails the suite.
needs_mlx = pytest.mark.skipif(importlib.util.find_spec("mlx") is None, reason="mlx is not installed")


def test_runner_has_the_house_sections_in_order_and_stays_short():
    checks.check_sections(RUNNER)


@needs_mlx
def test_network_holds_the_canonical_weights_in_mlx_layout_with_the_spec_size(tmp_path):
    namespace = run_sections(RUNNER, checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)))
    net, canonical = namespace["net"], rosetta.canonical_weights("resnet50")
    assert namespace["param_count"] == rosetta.PARAM_COUNTS["resnet50"]
    block = net.layer2[0]
    np.testing.assert_array_equal(np.array(block.conv2.weight), canonical["layer2.0.conv2.kernel"].transpose(3, 0, 1, 2))  # HWIO -> OHWI
    np.testing.assert_array_equal(np.array(block.downsample.bn.running_var), canonical["layer2.0.downsample.bn.var"])
    assert not net.training and not block.bn3.training  # BatchNorm on its running statistics


@needs_mlx
def test_fast_mode_runs_the_compiled_forward_and_fp32_the_eager_one_with_the_same_features(tmp_path):
    import mlx.core as mx
    fp32, fast = (run_sections(RUNNER, checks.spec(FRAMEWORK, "resnet50-features", mode=mode, data_dir=str(tmp_path))) for mode in ("fp32", "fast"))
    assert fp32["fast_path"] == [] and fp32["model"] is fp32["net"]
    assert fast["fast_path"] == ["mx.compile"] and fast["model"] is not fast["net"]
    x = mx.array(fp32["host"][0])
    np.testing.assert_allclose(np.array(fast["model"](x)), np.array(fp32["model"](x)), rtol=1e-4, atol=1e-4)


@needs_mlx
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    with pytest.raises(ValueError, match="without gpu backend"):
        run_sections(RUNNER, {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})


def test_runner_exits_with_code_3_when_mlx_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(RUNNER, FRAMEWORK, "mlx", tmp_path)
