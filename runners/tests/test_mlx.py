"""The MLX runners (runners/mlx/), in their environment: they keep the house layout, their networks
hold the canonical weights in MLX's layouts with the spec's sizes, fast mode runs the mx.compile'd
forward (ResNet-50) or training step (CNN) and fp32 the eager one with the same results, the GRU runs
eager in both modes (its compiled step was measured slower), reset() restarts the compiled step's
captured optimizer state, repeat r of the CNN draws its dropout masks
from seed + r, a cuda cell never falls back to the CPU (this environment's mlx-cpu has no GPU
backend), and a runner exits with code 3 when mlx cannot be imported. The Rosetta check and a smoke
run are the build's tests (tests/pipeline/runners.test.ts)."""

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
TRAINING_SECTIONS = ("Hyper-parameters", "Data", "Network", "Training step")
# Skipped only where mlx is absent (a run of the shared tests outside its environment); in its
# own environment python.test.ts runs this file with --framework=mlx, where any skip fails the suite.
needs_mlx = pytest.mark.skipif(importlib.util.find_spec("mlx") is None, reason="mlx is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(MLX / f"{runner}.py")


@needs_mlx
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "gru-imdb"])
def test_training_network_from_the_canonical_weights_has_the_spec_size(benchmark, tmp_path):
    checks.check_network_size(MLX, FRAMEWORK, benchmark, tmp_path)


@needs_mlx
def test_training_networks_hold_the_canonical_weights_in_mlx_layout(tmp_path):
    cnn = run_sections(checks.runner_file(MLX, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)))
    weights = rosetta.canonical_weights("cnn")
    np.testing.assert_array_equal(np.array(cnn["net"].conv3.weight), weights["conv3.kernel"].transpose(3, 0, 1, 2))  # HWIO -> OHWI
    np.testing.assert_array_equal(np.array(cnn["net"].dense1.weight), weights["dense1.kernel"].T)  # NHWC flattens in the canonical order
    gru = run_sections(checks.runner_file(MLX, "gru-imdb"), checks.spec(FRAMEWORK, "gru-imdb", data_dir=str(tmp_path)))
    hp = gru["hp"]
    weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
    np.testing.assert_array_equal(np.array(gru["net"].gru.Wh)[hp.hidden:2 * hp.hidden], weights["gru.recurrent_kernel.z"].T)  # gates r, z, n
    np.testing.assert_array_equal(np.array(gru["net"].gru.bh)[2 * hp.hidden:], weights["gru.recurrent_bias.n"])  # the n gate's own recurrent bias


@needs_mlx
def test_resnet_holds_the_canonical_weights_in_mlx_layout_with_the_spec_size(tmp_path):
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
def test_fast_mode_compiles_the_cnn_training_step_and_reset_restarts_its_optimizer_state(tmp_path):
    import mlx.core as mx
    spec = lambda mode: checks.spec(FRAMEWORK, "cnn-cifar10", mode=mode, data_dir=str(tmp_path))
    fp32, fast = (run_sections(checks.runner_file(MLX, "cnn-cifar10"), spec(mode), TRAINING_SECTIONS) for mode in ("fp32", "fast"))
    assert fp32["fast_path"] == [] and fp32["step"] is fp32["optimizer_step"]
    assert fast["fast_path"] == ["mx.compile"] and fast["step"] is not fast["optimizer_step"]
    idx = mx.array(np.arange(4))  # a short batch keeps the reference BLAS's convolutions quick

    def losses(namespace):
        namespace["reset"](0)
        namespace["net"].eval()  # dropout off: eager and compiled steps compute the same function
        return [namespace["train_step"](idx).item() for _ in range(3)]  # the 2nd and 3rd read the momentum buffers

    eager, compiled = losses(fp32), losses(fast)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    assert losses(fast) == compiled  # reset() refilled the state the compiled step holds


@needs_mlx
def test_the_gru_trains_eagerly_in_both_modes(tmp_path):
    import mlx.core as mx
    # a short GRU (4 steps, 8 units); mx.compile of its whole step was measured slower than eager
    spec = lambda mode: checks.spec(FRAMEWORK, "gru-imdb", mode=mode, data_dir=str(tmp_path), seq_len=4, hidden=8)
    fp32, fast = (run_sections(checks.runner_file(MLX, "gru-imdb"), spec(mode), TRAINING_SECTIONS) for mode in ("fp32", "fast"))
    assert fp32["fast_path"] == fast["fast_path"] == []
    idx = mx.array(np.arange(8))

    def losses(namespace):
        namespace["reset"](0)
        return [namespace["train_step"](idx).item() for _ in range(3)]  # the 2nd and 3rd read Adam's moments and step count

    assert losses(fast) == losses(fp32)


@needs_mlx
def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    import mlx.core as mx
    namespace = run_sections(checks.runner_file(MLX, "cnn-cifar10"), checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), TRAINING_SECTIONS)
    idx = mx.array(np.arange(4))  # a short batch keeps the reference BLAS's convolutions quick

    def first_loss(repeat):
        namespace["reset"](repeat)
        return namespace["train_step"](idx).item()

    assert first_loss(1) == first_loss(1) != first_loss(2)


@needs_mlx
@pytest.mark.parametrize("benchmark", ["cnn-cifar10", "resnet50-features", "gru-imdb"])
def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(benchmark, tmp_path):
    with pytest.raises(ValueError, match="without gpu backend"):
        run_sections(checks.runner_file(MLX, benchmark), {**checks.spec(FRAMEWORK, benchmark, data_dir=str(tmp_path)), "device": "cuda"})


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_exits_with_code_3_when_mlx_cannot_be_imported(runner, tmp_path):
    checks.check_exit_code_3_without_the_framework(MLX / f"{runner}.py", FRAMEWORK, "mlx", tmp_path)
