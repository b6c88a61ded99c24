"""Helpers for the fake runners used by the protocol tests (standard library only)."""
import json
import sys


def progress(**fields):
    print(json.dumps({"protocol": 1, "event": "progress", **fields}), flush=True)


def result(median=1.5):
    sample = {"samples": [median], "median": median, "min": median, "max": median}
    environment = {key: None for key in ("framework_version", "platform", "cpu_model", "cpu_count", "device", "cuda",
                                         "cudnn", "driver", "gpu_name", "gpu_memory_bytes", "tf32")}
    print(json.dumps({
        "protocol": 1, "event": "result",
        "metric": {"name": "train_seconds", "unit": "s", **sample},
        "throughput": {"unit": "images/s", **sample},
        "warmup_s": 0.0, "epoch_seconds": None, "loss_per_epoch": None, "accuracy": None, "accuracies": None,
        "checksum": 1.0, "param_count": 3441592, "fast_path": [], "fused_rnn": None,
        "data": {"name": "none", "synthetic": True, "sha256": None, "placement": "host"},
        "environment": {"python": sys.version.split()[0], "framework": "fake", **environment},
        "notes": [],
    }), flush=True)
