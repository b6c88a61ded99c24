"""The R runners (runners/r-keras/), in Keras on TensorFlow's environment with R and reticulate: they keep
the house layout, their host runs them through reticulate with the protocol intact (stdout only for
the protocol, the build's turns on stdin, the R and reticulate versions in the result), each repeat of
the CNN draws its dropout masks from seed + repeat, a cuda cell fails at start rather than run on the
CPU (tensorflow-cpu), and the cells are unavailable (exit code 3, with the command that installs what
is missing) without Rscript, without reticulate or without Keras. The Rosetta check and a smoke run of
every runner are the build's tests (tests/pipeline/runners.test.ts)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import runner_checks as checks

R_KERAS = checks.RUNNERS / "r-keras"
HOST = R_KERAS / "host.py"
FRAMEWORK = "r-keras"
INSTALL = "apt-get install -y --no-install-recommends r-base-core r-cran-reticulate"


def host(runner: str, spec: dict, *options: str, env: dict | None = None, turns: bool = False) -> subprocess.CompletedProcess:
    """Runs the host on runners/r-keras/<runner> as the build does: spec on stdin, then `go` for each turn."""
    stdin = json.dumps(spec) + "\n" + ("go\n" * spec["params"].get("passes", 1) if turns else "")
    return subprocess.run([sys.executable, str(HOST), str(R_KERAS / runner), *options, "--cell", "-"], input=stdin, capture_output=True,
                          text=True, env=env or dict(os.environ, PYTHONPATH=str(checks.LIB)), timeout=120, cwd=checks.REPO)


@pytest.mark.parametrize("runner", sorted(checks.SECTIONS))
def test_runner_has_the_house_sections_in_order_and_stays_short(runner):
    checks.check_sections(R_KERAS / f"{runner}.R")


def test_a_resnet_cell_speaks_the_protocol_through_the_host_and_waits_for_its_turns(tmp_path):
    spec = {**checks.spec(FRAMEWORK, "resnet50-features", mode="fast", data_dir=str(tmp_path), passes=2), "interleaved": True}
    done = host("resnet50_features.R", spec, turns=True)
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]  # R's own prints went to stderr
    assert [event["event"] for event in events] == ["turn", "progress", "turn", "progress", "result"]
    result = events[-1]
    assert [run["round"] for run in result["rounds"]] == [1, 2]
    assert result["param_count"] == 23_508_032 and result["fast_path"] == [] and "fast mode on the CPU" in result["notes"][0]
    assert result["environment"]["framework_version"].startswith("R 4.") and ", reticulate 1." in result["environment"]["framework_version"]


def test_each_repeat_of_the_cnn_draws_its_dropout_masks_from_seed_plus_repeat(tmp_path):
    cell = checks.write_cell(tmp_path, FRAMEWORK, "cnn-cifar10")
    script = tmp_path / "dropout.R"  # the runner up to its training loop, then three first steps on a short batch
    script.write_text(textwrap.dedent(f"""
        lines <- readLines("{R_KERAS / 'cnn_cifar10.R'}")
        commandArgs <- function(trailingOnly = FALSE) c("--cell", "{cell}")
        eval(parse(text = lines[seq_len(grep("Training and evaluation", lines) - 2L)]))
        idx <- ops$convert_to_tensor(0:7)
        first_loss <- function(r) {{ reset(r); restart_loss_mean(); builtins$float(train_step(idx)) }}
        message("losses: ", paste(c(first_loss(1L), first_loss(1L), first_loss(2L)), collapse = " "))
    """))
    env = dict(os.environ, PYTHONPATH=str(checks.LIB), RETICULATE_PYTHON=sys.executable)
    done = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, env=env, timeout=120, cwd=checks.REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [float(v) for v in done.stderr.split("losses: ")[1].split()]
    assert losses[0] == losses[1] != losses[2]


def test_a_cuda_cell_fails_at_start_rather_than_run_on_the_cpu(tmp_path):
    done = host("resnet50_features.R", {**checks.spec(FRAMEWORK, "resnet50-features", data_dir=str(tmp_path)), "device": "cuda"})
    assert done.returncode == 1 and done.stdout == "" and "sees no GPU" in done.stderr


def test_a_runner_exits_with_code_3_when_keras_cannot_be_imported(tmp_path):
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text("raise ImportError('keras: cannot open shared object file')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{checks.LIB}")
    done = host("cnn_cifar10.R", checks.spec(FRAMEWORK, "cnn-cifar10", data_dir=str(tmp_path)), env=env)
    assert done.returncode == 3 and done.stdout == "" and "cannot open shared object file" in done.stderr.splitlines()[-1]


def test_the_host_exits_with_code_3_and_the_install_command_without_rscript(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with this Python and without R
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    done = host("cnn_cifar10.R", checks.spec(FRAMEWORK, "cnn-cifar10"), env=dict(os.environ, PATH=str(bin_dir), PYTHONPATH=str(checks.LIB)))
    assert shutil.which("Rscript", path=str(bin_dir)) is None
    assert done.returncode == 3 and done.stdout == "" and "Rscript is not on the PATH" in done.stderr and INSTALL in done.stderr


def test_the_host_exits_with_code_3_and_the_install_command_without_reticulate(tmp_path):
    env = dict(os.environ, R_LIBS_SITE=str(tmp_path), R_LIBS_USER=str(tmp_path), PYTHONPATH=str(checks.LIB))  # R's base library only
    done = host("cnn_cifar10.R", checks.spec(FRAMEWORK, "cnn-cifar10"), "--check", env=env)
    assert done.returncode == 3 and done.stdout == "" and "reticulate package is not installed" in done.stderr and INSTALL in done.stderr
