"""The Rosetta check itself (runners/lib/equivalence), NumPy only: the reference's building blocks
against plain loops, and a check that passes for a network equal to the reference and fails for a
classic layout mistake or a wrong parameter count."""

from __future__ import annotations

import json
import numpy as np
import pytest

import equivalence
from equivalence import forward, reference, training
import rosetta
from rosetta.rng import Random

from runner_checks import spec

BANNER = "#############################################\n#{:^43}#\n#############################################\n"
NUMPY_RUNNER = f"""# cnn-cifar10 in NumPy: a stand-in runner for the check's tests.
import numpy as np

import rosetta
from equivalence import reference

{BANNER.format("Hyper-parameters")}
cell = rosetta.read_cell()
hp = cell.params

{BANNER.format("Data")}
data = rosetta.load_cifar10(cell)

{BANNER.format("Network")}
weights = rosetta.canonical_weights("cnn")
{{mistake}}
param_count = sum(w.size for w in weights.values()) + {{extra_parameters}}
net = lambda x: reference.cnn_logits(weights, x)

{BANNER.format("Training step")}
def reset(repeat):
    global velocity
    weights.update(reference.float64(rosetta.canonical_weights("cnn")))
    velocity = {{{{name: 0 for name in weights}}}}


def train_step(idx):
    loss, grads = reference.cnn_gradients(weights, data.x_train[idx], data.y_train[idx])
    for name in weights:
        velocity[name] = {{momentum}} * velocity[name] + grads[name]
        weights[name] = weights[name] - hp.lr * velocity[name]
    return loss

{BANNER.format("Training and evaluation")}
raise AssertionError("the check runs only the sections up to the training step")
"""


def numpy_training(namespace: dict, idx: np.ndarray, steps: int):
    namespace["reset"](0)
    return [namespace["train_step"](idx) for _ in range(steps)], namespace["weights"]


def test_convolution_is_the_zero_padded_cross_correlation_at_any_stride():
    rng = Random(1)
    x, kernel = rng.uniform((2, 7, 7, 3)).astype(np.float64), rng.uniform((3, 3, 3, 4), -1, 1).astype(np.float64)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    for stride in (1, 2):
        out = reference.conv(x, kernel, stride)
        assert out.shape == (2, (7 - 1) // stride + 1, (7 - 1) // stride + 1, 4)
        for i, j in [(0, 0), (1, 2), (out.shape[1] - 1, out.shape[2] - 1)]:
            window = padded[:, i * stride:i * stride + 3, j * stride:j * stride + 3, :]
            assert np.allclose(out[:, i, j], np.einsum("nhwc,hwco->no", window, kernel))


def test_max_pool_padding_never_wins_the_max():
    x = -np.ones((1, 4, 4, 1))
    assert (reference.max_pool(x, 3, 2, padding=1) == -1).all()
    assert reference.max_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2, 2)[0, :, :, 0].tolist() == [[5, 7], [13, 15]]


@pytest.fixture
def numpy_runner(tmp_path, monkeypatch):
    """Writes a NumPy runner into a folder of its own family and returns a function that checks it."""
    monkeypatch.setitem(forward.FORWARD, "numpy", lambda namespace, x: namespace["net"](x))
    monkeypatch.setitem(training.TRAINING, "numpy", numpy_training)
    monkeypatch.setitem(equivalence.PACKAGES, "numpy", ["numpy"])
    (tmp_path / "numpy").mkdir()

    def check(mistake: str = "", extra_parameters: int = 0, momentum: str = "hp.momentum") -> dict:
        runner = tmp_path / "numpy" / "cnn_cifar10.py"
        runner.write_text(NUMPY_RUNNER.format(mistake=mistake, extra_parameters=extra_parameters, momentum=momentum))
        return equivalence.check(runner, spec("numpy", "cnn-cifar10", data_dir=str(tmp_path), batch_size=8))  # 8: quick in float64
    return check


def test_a_network_equal_to_the_reference_passes_with_the_numbers(numpy_runner):
    outcome = numpy_runner()
    assert outcome["passed"] and outcome["model"] == "cnn" and outcome["output_shape"] == [2, 10]
    assert outcome["max_abs_diff"] < 1e-12 and outcome["scale"] > 0.1 and outcome["param_count"] == 3_441_592
    assert outcome["versions"] == {"numpy": np.__version__}
    steps = outcome["training"]
    assert steps["passed"] and steps["steps"] == 2 and steps["batch"] == 8 and steps["optimizer"] == "SGD with momentum"
    assert steps["loss_relative_diff"] < 1e-12 and steps["update_relative_diff"] < 1e-12
    assert steps["losses"][1] < steps["losses"][0]  # the step trains


def test_a_training_step_without_momentum_fails_the_check_though_its_forward_pass_agrees(numpy_runner):
    outcome = numpy_runner(momentum="0")
    assert outcome["relative_diff"] < 1e-12 and not outcome["passed"]
    steps = outcome["training"]
    assert not steps["passed"] and steps["update_relative_diff"] > steps["update_tolerance"]
    assert steps["loss_relative_diff"] < 1e-12  # the first loss is before any update, the second after one plain step: equal


def test_the_reference_gradients_agree_with_finite_differences():
    rng = np.random.default_rng(0)
    cases = {"cnn": (reference.float64(rosetta.canonical_weights("cnn")), rng.uniform(size=(2, 32, 32, 3)), np.array([3, 8])),
             "gru": (reference.float64(rosetta.canonical_weights("gru", vocab_size=40, embed_dim=6, hidden=5)),
                     rng.integers(0, 40, size=(3, 9)), np.array([0, 1, 1]))}
    for model, (weights, inputs, labels) in cases.items():
        _, grads = reference.GRADIENTS[model](weights, inputs, labels)
        for name, value in weights.items():
            at = np.unravel_index(np.abs(grads[name]).argmax(), value.shape)  # the largest entry: well above rounding
            nudged = lambda delta: {**weights, name: value + delta * (np.arange(value.size).reshape(value.shape) == np.ravel_multi_index(at, value.shape))}
            numeric = (reference.GRADIENTS[model](nudged(1e-6), inputs, labels)[0] - reference.GRADIENTS[model](nudged(-1e-6), inputs, labels)[0]) / 2e-6
            assert abs(grads[name][at] - numeric) <= 1e-6 * max(abs(numeric), 1e-3), (model, name, grads[name][at], numeric)


def test_the_optimizers_follow_the_spec_conventions():
    w, g = {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 1e-9])}
    sgd = reference.sgd_momentum(lr=0.1, momentum=0.9)
    sgd(w, g)
    sgd(w, g)  # v = g, then 0.9 g + g
    assert np.allclose(w["w"], [1.0, -2.0] - 0.1 * (g["w"] + 1.9 * g["w"]))
    w = {"w": np.array([1.0, -2.0])}
    reference.adam(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)(w, g)  # step 1: m_hat = g, v_hat = g^2
    assert np.allclose(w["w"], [1.0 - 0.01 * 0.5 / (0.5 + 1e-8), -2.0 - 0.01 * 1e-9 / (1e-9 + 1e-8)])
    w = {"w": np.array([1.0, -2.0])}
    reference.adam(0.01, 0.9, 0.999, 1e-8, epsilon_on_corrected=False)(w, g)  # Keras's: epsilon / sqrt(1 - beta2) in effect
    assert np.allclose(w["w"], [1.0 - 0.01 * 0.5 / (0.5 + 1e-8 / np.sqrt(0.001)), -2.0 - 0.01 * 1e-9 / (1e-9 + 1e-8 / np.sqrt(0.001))])
    w, g = {"w": np.array([1.0])}, {"w": np.array([0.5]), "w@squares": np.array([0.13])}  # 0.5 = 0.2 + 0.3 over two occurrences
    reference.adam(0.01, 0.9, 0.999, 0.0, occurrence_squares=True)(w, g)  # step 1: m_hat = 0.5, v_hat = 0.2^2 + 0.3^2
    assert np.allclose(w["w"], [1.0 - 0.01 * 0.5 / np.sqrt(0.13)])


def test_the_gru_gradients_give_the_embeddings_squares_per_token_occurrence():
    weights = reference.float64(rosetta.canonical_weights("gru", vocab_size=10, embed_dim=3, hidden=2))
    tokens = np.array([[4, 4, 7], [4, 0, 0]])  # token 4 three times, 0 twice, 7 once
    _, grads = reference.gru_gradients(weights, tokens, np.array([1, 0]))
    squares, summed = grads["embedding.table@squares"], grads["embedding.table"]
    assert (squares[[4, 0]] > 0).all() and (squares[[1, 2, 3, 5, 6, 8, 9]] == 0).all()
    assert not np.allclose(squares[4], summed[4] ** 2)  # occurrences squared one by one


def test_reading_the_dense_rows_in_channels_first_order_fails_the_check(numpy_runner):
    mistake = 'weights["dense1.kernel"] = weights["dense1.kernel"].reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)'
    outcome = numpy_runner(mistake=mistake)
    assert not outcome["passed"] and outcome["relative_diff"] > outcome["tolerance"]


def test_a_wrong_parameter_count_fails_the_check_even_when_the_outputs_agree(numpy_runner):
    outcome = numpy_runner(extra_parameters=10)
    assert not outcome["passed"] and outcome["max_abs_diff"] < 1e-12 and outcome["param_count"] == outcome["expected_param_count"] + 10


def test_the_check_refuses_a_fast_mode_cell(numpy_runner, tmp_path):
    runner = tmp_path / "numpy" / "cnn_cifar10.py"  # refused before the runner is read
    with pytest.raises(ValueError, match="fp32 on the cpu"):
        equivalence.check(runner, spec("numpy", "cnn-cifar10", mode="fast"))


def test_a_training_step_that_diverges_fails_with_an_outcome_json_can_carry(numpy_runner):
    outcome = numpy_runner(momentum="float('nan')")  # the first update makes every weight NaN
    steps = outcome["training"]
    assert not outcome["passed"] and not steps["passed"]
    assert steps["losses"][0] is not None and steps["losses"][1] is None  # the loss before any update, then NaN
    assert steps["loss_relative_diff"] is None and steps["update_relative_diff"] is None
    json.dumps(outcome["training"], allow_nan=False)  # NaN is not JSON: the build could not read it


def test_the_reference_training_is_stored_once_and_read_back_unless_unreadable(tmp_path, monkeypatch):
    from equivalence import reference_cache
    monkeypatch.setenv("ROSETTA_REFERENCE_CACHE", str(tmp_path))
    weights = rosetta.canonical_weights("gru", vocab_size=40, embed_dim=6, hidden=5)
    tokens, labels = np.array([[1, 2, 3], [0, 4, 39]]), np.array([1, 0])
    adam = lambda: reference.adam(0.01, 0.9, 0.999, 1e-7)  # a fresh optimizer state for each training
    computed = reference_cache.train("gru", "Adam", adam(), weights, tokens, labels, 2)
    (entry,) = tmp_path.glob("*.npz")

    def refused(*args):
        raise AssertionError("computed again")
    monkeypatch.setattr(reference, "train", refused)
    stored = reference_cache.train("gru", "Adam", adam(), weights, tokens, labels, 2)
    assert stored[0] == computed[0] and sorted(stored[1]) == sorted(computed[1])
    assert all(np.array_equal(stored[1][name], computed[1][name]) for name in computed[1])
    with pytest.raises(AssertionError, match="computed again"):  # another optimizer, or other steps: another entry
        reference_cache.train("gru", "Adam (another)", adam(), weights, tokens, labels, 2)
    with pytest.raises(AssertionError, match="computed again"):
        reference_cache.train("gru", "Adam", adam(), weights, tokens, labels, 3)

    entry.write_bytes(b"not an npz")  # a corrupt entry: computed again and replaced, no error
    monkeypatch.undo()
    monkeypatch.setenv("ROSETTA_REFERENCE_CACHE", str(tmp_path))
    again = reference_cache.train("gru", "Adam", adam(), weights, tokens, labels, 2)
    assert again[0] == computed[0] and np.load(entry)["@losses"].tolist() == computed[0]
    assert not list(tmp_path.glob("*.tmp"))
