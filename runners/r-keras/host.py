"""The host of the R runners (runners/r-keras/*.R; content/frameworks/r-keras.json, "host"). The build
starts it in the framework's environment exactly as it starts a Python runner:

    python runners/r-keras/host.py runners/r-keras/cnn_cifar10.R --cell -            # a cell
    python runners/r-keras/host.py runners/r-keras/cnn_cifar10.R --check --cell -    # its Rosetta check

and it becomes `Rscript RUNNER --cell -` (a check: `Rscript check.R RUNNER --cell -`) with
RETICULATE_PYTHON at this very Python, so that reticulate embeds the environment's Python: the R code
imports rosetta (PYTHONPATH=runners/lib) and Keras from it, and standard input, standard output and
the exit code are the R process's own. Without Rscript or reticulate: exit code 3, and the command
that installs them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

INSTALL = "apt-get install -y --no-install-recommends r-base-core r-cran-reticulate"  # Debian's R 4.2 and reticulate 1.28
CHECK = Path(__file__).with_name("check.R")


def unavailable(why: str) -> None:
    print(f"{why}; install R and reticulate with: {INSTALL}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    runner, *options = sys.argv[1:]
    rscript = shutil.which("Rscript")
    if rscript is None:
        unavailable("Rscript is not on the PATH")
    probe = [rscript, "-e", "quit(status = !requireNamespace('reticulate', quietly = TRUE))"]
    if subprocess.run(probe, stdin=subprocess.DEVNULL, stdout=sys.stderr).returncode != 0:
        unavailable("R's reticulate package is not installed")
    program = [str(CHECK), runner] if "--check" in options else [runner]
    options = [option for option in options if option != "--check"]
    os.execve(rscript, [rscript, *program, *options], dict(os.environ, RETICULATE_PYTHON=sys.executable))


main()
