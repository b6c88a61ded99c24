"""The fault suite's runner (copied to runners/fake/fake.py of each sandbox): it follows the protocol
of runners/README.md, or breaks it the way its FAULT variable says. Standard library only."""
import json
import os
import signal
import subprocess
import sys
import time

FAULT = os.environ.get("FAULT", "ok")
PIDS = os.environ.get("FAULT_PIDS")  # a file where it notes the pids it starts


def note(pid: int) -> None:
    if PIDS:
        with open(PIDS, "a") as file:
            file.write(f"{pid}\n")


def result(**changes) -> str:
    median = changes.pop("median", 1.5)
    stats = {"samples": [median], "median": median, "min": median, "max": median}
    environment = {key: None for key in ("framework_version", "platform", "cpu_model", "cpu_count", "device", "cuda",
                                         "cudnn", "driver", "gpu_name", "gpu_memory_bytes", "tf32")}
    event = {
        "protocol": 1, "event": "result",
        "metric": {"name": "train_seconds", "unit": "s", **stats},
        "throughput": {"unit": "images/s", "samples": [100.0], "median": 100.0, "min": 100.0, "max": 100.0},
        "warmup_s": 0.0, "epoch_seconds": None, "loss_per_epoch": None, "accuracy": None, "accuracies": None,
        "checksum": 1.0, "param_count": 3441592, "fast_path": [], "fused_rnn": None,
        "data": {"name": "none", "synthetic": True, "sha256": None, "placement": "host"},
        "environment": {"python": sys.version.split()[0], "framework": "fake", **environment},
        "notes": [],
    }
    for path, value in changes.items():  # "metric.median": -1 sets event["metric"]["median"]
        *outer, last = path.split(".")
        target = event
        for part in outer:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return json.dumps(event)


def main() -> int:
    json.loads(sys.stdin.readline())  # the spec
    note(os.getpid())
    if FAULT == "crash":
        print("RuntimeError: boom", file=sys.stderr)
        return 1
    if FAULT == "self-kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if FAULT == "unavailable":
        print("ModuleNotFoundError: No module named 'fake'", file=sys.stderr)
        return 3
    if FAULT in ("hang", "ignore-term"):
        if FAULT == "ignore-term":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(600)
    if FAULT == "slow":  # works for a while, then succeeds
        time.sleep(float(os.environ.get("FAULT_SECONDS", "20")))
    if FAULT == "child-holds-stdout":  # a child that keeps stdout open after the runner is done
        note(subprocess.Popen(["sleep", "600"]).pid)
    if FAULT == "child-ignores-term":  # a child that ignores SIGTERM and holds stderr, and a runner that hangs
        child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
        note(child.pid)
        time.sleep(600)
    if FAULT in ("flood", "flood-one-line"):  # 200 MB on stdout
        block = ("x" * 1023 + ("\n" if FAULT == "flood" else "x")).encode()
        for _ in range(200 * 1024):
            sys.stdout.buffer.write(block)
        sys.stdout.flush()
    lines = {
        "garbage": "Epoch 1/1 - loss 2.3",
        "nan": result(median=float("nan")),
        "infinity": result().replace('"median": 1.5', '"median": 1e999'),
        "no-metric": result(metric=None),
        "negative-time": result(median=-1.5),
        "median-outside": result(**{"metric.median": 9.0}),
        "other-metric": result(**{"metric.name": "seconds_per_batch"}),
        "other-param-count": result(param_count=25557032),
        "bad-utf8": None,
        "nothing": "",
    }
    if FAULT == "bad-utf8":
        sys.stdout.buffer.write(b"\xff\xfe\xfd\n")
    elif FAULT == "two-results":
        print(result())
        print(result())
    elif FAULT in lines:
        if lines[FAULT]:
            print(lines[FAULT])
    else:
        print(result())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
