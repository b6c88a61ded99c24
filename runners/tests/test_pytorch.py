"""The PyTorch runners (runners/pytorch/), in the PyTorch environment: they keep the house layout,
their GRU network built from the canonical weights has the spec's size, and a runner exits with code
3 when torch cannot be imported. The Rosetta check of every network and a smoke run of every runner
are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import importlib.util

import pytest

import runner_checks as checks

PYTORCH = checks.RUNNERS / "pytorch"
FRAMEWORK = "pytorch"
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(PYTORCH / f"{runner}.py")


@needs_torch
def test_gru_network_from_the_canonical_weights_has_the_spec_size(tmp_path):
    checks.check_network_size(PYTORCH, FRAMEWORK, "gru-imdb", tmp_path)


def test_runner_exits_with_code_3_when_torch_cannot_be_imported(tmp_path):
    checks.check_exit_code_3_without_the_framework(PYTORCH / "cnn_cifar10.py", FRAMEWORK, "torch", tmp_path)


# The training-step check must catch a training step that is wrong in ways a forward pass cannot
# show: each mutation below is one edit of the real PyTorch runner, checked as the build checks it.
EPSILON_IN_SQRT_ADAM = '''
class MutatedAdam(torch.optim.Optimizer):
    """Adam with its epsilon added to v_hat inside the square root (INSIDE) or to sqrt(v_hat) (the spec's)."""
    def __init__(self, params, lr, betas, eps):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), eps = group["betas"], group["eps"]
            for p in group["params"]:
                s = self.state[p]
                if not s:
                    s.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                s["t"] += 1
                s["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                s["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat, v_hat = s["m"] / (1 - b1 ** s["t"]), s["v"] / (1 - b2 ** s["t"])
                p.sub_(group["lr"] * m_hat / (torch.sqrt(v_hat + eps) if INSIDE else torch.sqrt(v_hat) + eps))


'''
SGD = "torch.optim.SGD(net.parameters(), lr=hp.lr, momentum=hp.momentum, fused=fused)"
ADAM = "torch.optim.Adam(net.parameters(), lr=hp.lr, betas=(hp.beta1, hp.beta2), eps=hp.epsilon, fused=fused)"
MUTATIONS = {
    "the runner as it is": ("cnn-cifar10", None, None),
    "momentum as a moving average (dampening 0.9)": ("cnn-cifar10", SGD, SGD.replace("fused=fused", "dampening=hp.momentum")),
    "Nesterov momentum": ("cnn-cifar10", SGD, SGD.replace("fused=fused", "nesterov=True")),
    "conv1 left out of the update": ("cnn-cifar10", SGD, SGD.replace("net.parameters()", "[p for n, p in net.named_parameters() if n != 'conv1.weight']")),
    "Adam written out, epsilon on sqrt(v_hat) as the spec says": ("gru-imdb", ADAM, "MutatedAdam(net.parameters(), hp.lr, (hp.beta1, hp.beta2), hp.epsilon)"),
    "Adam with epsilon inside the square root": ("gru-imdb", ADAM, "MutatedAdam(net.parameters(), hp.lr, (hp.beta1, hp.beta2), hp.epsilon)"),
}


@needs_torch
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_training_step_check_fails_for_a_wrong_optimizer_or_a_layer_left_out(mutation, tmp_path):
    import equivalence
    benchmark, old, new = MUTATIONS[mutation]
    source = checks.runner_file(PYTORCH, benchmark).read_text()
    if old is not None:
        assert old in source
        source = source.replace(old, new, 1)
    if "MutatedAdam" in source:
        inside = "inside" in mutation
        source = source.replace("fused = True", f"INSIDE = {inside}\n{EPSILON_IN_SQRT_ADAM}fused = True", 1)
    runner = tmp_path / "pytorch" / checks.runner_file(PYTORCH, benchmark).name  # the folder names the family
    runner.parent.mkdir()
    runner.write_text(source)
    outcome = equivalence.check(runner, checks.spec(FRAMEWORK, benchmark, data_dir=str(tmp_path / "no-data"), batch_size=16))  # 16: quick
    expected_to_pass = mutation in ("the runner as it is", "Adam written out, epsilon on sqrt(v_hat) as the spec says")
    assert outcome["relative_diff"] <= outcome["tolerance"]  # the forward pass cannot tell
    assert outcome["training"]["passed"] is expected_to_pass, outcome["training"]
    assert outcome["passed"] is expected_to_pass
    if mutation == "conv1 left out of the update":
        assert outcome["training"]["worst_tensor"] == "conv1.kernel"
