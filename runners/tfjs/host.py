"""The host of the TensorFlow.js runners (runners/tfjs/<benchmark>.ts), in the framework's Python
environment, started by the build as a Python runner would be:

    PYTHONPATH=runners/lib python runners/tfjs/host.py runners/tfjs/cnn_cifar10.ts [--check] --cell -

It owns what every runner leaves to the shared module: the cell, the data, the canonical weights,
the shared batch order, the repeats (turns and calibration), the clocks, progress and the result
(rosetta), and with --check the Rosetta check (equivalence). The runner, in Node, owns the network,
the training step, the work of an epoch or of an inference pass, and the evaluation; the two talk in
JSON lines on the runner's standard input and output (worker.ts), arrays go through .npy files,
written and loaded before any clock. Each timed region is one request: "run epoch e" (its last act
reads the epoch's mean loss back, which waits for the work) or "run one inference pass".
Exit code 3: no Node that runs TypeScript, or the pinned TF.js packages are not installed."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

if "--check" in sys.argv[1:]:
    import equivalence  # before rosetta, which points descriptor 1 at stderr: the check keeps the real stdout
import rosetta  # noqa: E402

NODE = Path("node_modules/.bin/node")  # the repository's own Node (package.json), under the working directory
strips_types = lambda v: (22, 18) <= v < (23,) or v >= (23, 6)  # Node versions that run .ts files by stripping their types, no flag
PINS = Path(__file__).with_name("package.json")


def node() -> str:
    """The Node that runs the runners: the repository's, else the PATH's; ImportError if none fits."""
    found = str(NODE) if NODE.exists() else shutil.which("node")
    if found is None:
        raise ImportError("no Node.js: node_modules/.bin/node is missing (run npm ci at the repository root) and no node is on the PATH")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if not strips_types(tuple(int(part) for part in version.lstrip("v").split(".")[:2])):
        raise ImportError(f"{found} is Node {version}: the TypeScript runners need a Node that strips types (22.18+ or 23.6+; the repository's is 24)")
    return found


def installed(runner: Path) -> None:
    """Each pinned package as Node resolves it from the runner's folder, at its pinned version."""
    for package, pin in json.loads(PINS.read_text())["dependencies"].items():
        found = next((d / "node_modules" / package / "package.json" for d in (runner.parent, *runner.parent.parents)
                      if (d / "node_modules" / package / "package.json").exists()), None)
        version = json.loads(found.read_text())["version"] if found else None
        if version != pin:
            raise ImportError(f"{package} {pin} is not installed ({'found ' + version if version else 'not found'}): run npm ci at the repository root")


class Runner:
    """The runner's Node process: requests in, replies out, its stderr straight to ours."""

    def __init__(self, runner: Path, folder: Path):
        self.folder = folder
        self.process = subprocess.Popen([node(), str(runner), str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self.read()["ready"]

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the TensorFlow.js runner exited with code {self.process.wait()} (its error is above)")
        return json.loads(line)

    def __call__(self, op: str, **args: object) -> object:
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()
        reply = self.read()
        if "error" in reply:
            raise RuntimeError(f"the TensorFlow.js runner failed on {op!r}: {reply['error']}")
        return reply["ok"]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The check's probe through the runner's network (canonical weights, inference mode)."""
        np.save(self.folder / "probe.npy", x.astype(np.int32 if x.dtype.kind in "iu" else np.float32))
        self("forward", x=str(self.folder / "probe.npy"), out=str(self.folder / "output.npy"))
        return np.load(self.folder / "output.npy")

    def train(self, idx: np.ndarray, steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
        """The check's training part: the runner's own reset(0) and train step, dropout off."""
        np.save(self.folder / "idx.npy", idx.astype(np.int32))
        (self.folder / "trained").mkdir(exist_ok=True)
        done = self("train", idx=str(self.folder / "idx.npy"), steps=steps, out=str(self.folder / "trained"))
        return done["losses"], {name: np.load(self.folder / "trained" / f"{name}.npy") for name in done["names"]}


def inputs(cell, folder: Path):
    """The cell's data and canonical weights as .npy files for the runner; returns the data set."""
    model, hp = rosetta.BENCHMARKS[cell.benchmark].model, cell.params
    if model == "resnet50":
        data = rosetta.random_images(cell)
        arrays = {"images": data.batches}
    else:
        data = rosetta.load_cifar10(cell) if model == "cnn" else rosetta.load_imdb(cell)
        n = len(data.y_train)
        arrays = {"x_train": data.x_train, "y_train": data.y_train, "x_test": data.x_test, "y_test": data.y_test,
                  "batches": np.stack([rosetta.epoch_batches(n, hp.batch_size, cell.seed, e) for e in range(hp.epochs)])}
    sizes = dict(vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden) if model == "gru" else {}
    arrays.update({f"weights/{name}": w for name, w in rosetta.canonical_weights(model, **sizes).items()})
    (folder / "weights").mkdir()
    for name, a in arrays.items():  # TF.js has no int64: labels, tokens and indices go as int32
        np.save(folder / f"{name}.npy", a.astype(np.int32 if a.dtype.kind in "iu" else np.float32, copy=False))
    return data


def train(cell, run: Runner, data) -> None:
    hp, info = cell.params, run.info
    with rosetta.timed(rosetta.no_sync) as warmup:  # the WASM backend runs each op when it is called
        run("warmup", steps=rosetta.WARMUP_STEPS)
    epoch_seconds, loss_per_epoch, accuracies = [], [], []
    for repeat in rosetta.repeats(cell):
        run("reset", repeat=repeat)
        seconds, losses = [], []
        for epoch in range(hp.epochs):
            with rosetta.timed(rosetta.no_sync) as timer:  # no progress events in here (spec rule 9)
                losses.append(run("epoch", epoch=epoch))
            seconds.append(timer.seconds)
            rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
        epoch_seconds.append(seconds)
        loss_per_epoch.append(losses)
        accuracies.append(run("evaluate"))
        rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)
    steps = len(data.y_train) // hp.batch_size
    rosetta.report(
        cell, seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
        epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies, param_count=info["param_count"],
        fast_path=info["fast_path"], fused_rnn=info.get("fused_rnn"), data=data.identity(info["placement"]),
        environment=environment(cell, info), notes=notes(info))


def infer(cell, run: Runner, images) -> None:
    hp, info = cell.params, run.info
    with rosetta.timed(rosetta.no_sync) as warmup:
        rosetta.progress("warmup")
        run("warmup", steps=1)
    seconds = []
    for repeat in rosetta.repeats(cell):
        with rosetta.timed(rosetta.no_sync) as timer:
            run("pass")
        seconds.append(timer.seconds)
        rosetta.progress("infer", repeat=repeat, repeats=hp.passes)
    rosetta.report(
        cell, seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds, checksum=run("checksum"),
        param_count=info["param_count"], fast_path=info["fast_path"], data=images.identity(info["placement"]),
        environment=environment(cell, info), notes=notes(info))


def notes(info: dict) -> list[str]:
    """The runner's notes, and the WASM build's threads: TF.js turns its multithreaded build off under Node."""
    threads = info["wasm"]["threads"]
    return info["notes"] + ([f"the WASM backend ran its {info['wasm']['build']} build on 1 thread: TF.js turns its multithreaded build off under Node"] if threads == 1 else [])


def environment(cell, info: dict) -> dict:
    """rosetta's environment with TF.js's version and the WASM build that ran, as the runner read them back."""
    return {**rosetta.environment(cell, info["framework_version"], tf32=False), "wasm": info["wasm"]}  # CPU only: no TF32


def main() -> int:
    parser = argparse.ArgumentParser(description="Run a TensorFlow.js runner's cell or its Rosetta check (runners/README.md).")
    parser.add_argument("runner", type=Path)
    parser.add_argument("--check", action="store_true", help="run the Rosetta check instead of the cell")
    parser.add_argument("--cell", required=True, help="path to the cell spec (JSON), or - for standard input")
    args = parser.parse_args()
    spec = json.loads(sys.stdin.readline() if args.cell == "-" else Path(args.cell).read_text())
    cell = rosetta.parse_cell(spec)
    try:
        node()
        installed(args.runner)
    except ImportError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 3
    with tempfile.TemporaryDirectory(prefix="rosetta-tfjs-") as folder:
        (Path(folder) / "cell.json").write_text(json.dumps(spec))
        data = inputs(cell, Path(folder))
        run = Runner(args.runner, Path(folder))
        try:
            if args.check:
                namespace = {"data": data, "param_count": run.info["param_count"], "tfjs": run}
                equivalence.emit(equivalence.check(args.runner, spec, namespace=namespace))
            elif rosetta.BENCHMARKS[cell.benchmark].kind == "training":
                train(cell, run, data)
            else:
                infer(cell, run, data)
        finally:
            run.process.stdin.close()
            run.process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
