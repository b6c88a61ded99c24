"""Environment capture (spec rule 7): what actually ran. The runner passes what only its framework
knows; the rest is read here. Unknown values are None; nothing here fails for want of a tool."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .cell import Cell


# The names (prefixes) of the environment variables that steer the frameworks; the build reads the
# same file, passes those variables on to the runners and makes their values inputs of the cell key.
VARIABLE_PREFIXES = tuple(json.loads((Path(__file__).parent / "variables.json").read_text()))


def variables() -> dict[str, str]:
    """The environment variables that change how the frameworks run (threads, backends, devices)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(VARIABLE_PREFIXES)}


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def cpu_count() -> int | None:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the host's
    except (AttributeError, OSError):
        return os.cpu_count()


def nvidia_smi() -> dict:
    """The first visible GPU as nvidia-smi sees it; {} without nvidia-smi or on any error."""
    fields = ("name", "memory.total", "driver_version", "power.limit", "clocks.max.sm")
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {}
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
    try:
        out = subprocess.run([exe, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits", "-i", visible],
                             capture_output=True, text=True, timeout=15, check=True).stdout
        values = [v.strip() for v in out.splitlines()[0].split(",")]
    except (OSError, subprocess.SubprocessError, IndexError):
        return {}
    info = dict(zip(fields, values))

    def number(key: str, scale: float = 1.0) -> float | None:
        try:
            return float(info[key]) * scale
        except (KeyError, ValueError):
            return None

    memory = number("memory.total", 1024 * 1024)
    return {"gpu_name": info.get("name") or None, "gpu_memory_bytes": int(memory) if memory else None,
            "driver": info.get("driver_version") or None, "gpu_power_limit_w": number("power.limit"),
            "gpu_sm_clock_max_mhz": number("clocks.max.sm")}


def environment(cell: Cell, framework_version: str, *, cuda: object = None, cudnn: object = None,
                gpu_name: str | None = None, gpu_memory_bytes: int | None = None, tf32: bool | None = None) -> dict:
    """The result's `environment`. On a cpu cell the GPU fields are None whatever is passed, since
    nothing ran there; on a cuda cell nvidia-smi fills the driver, power limit and clock (and the
    GPU's name and memory where the framework did not give them)."""
    gpu = cell.device == "cuda"
    smi = nvidia_smi() if gpu else {}
    text = lambda v: None if v is None or not gpu else str(v)
    return {
        "python": platform.python_version(),
        "framework": cell.framework,
        "framework_version": str(framework_version),
        "numpy_version": np.__version__,
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": cpu_count(),
        "device": cell.device,
        "cuda": text(cuda),
        "cudnn": text(cudnn),
        "driver": smi.get("driver"),
        "gpu_name": (gpu_name or smi.get("gpu_name")) if gpu else None,
        "gpu_memory_bytes": (int(gpu_memory_bytes) if gpu_memory_bytes else smi.get("gpu_memory_bytes")) if gpu else None,
        "gpu_power_limit_w": smi.get("gpu_power_limit_w"),
        "gpu_sm_clock_max_mhz": smi.get("gpu_sm_clock_max_mhz"),
        "tf32": tf32,
        "variables": variables(),
    }


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return sorted(set(value.split()))
    except OSError:
        pass
    return []


def memory_gib() -> int | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30)
    except (ValueError, OSError, AttributeError):
        return None


def os_name() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        return f"{platform.system()} ({fields.get('PRETTY_NAME', '').strip(chr(34))})"
    except OSError:
        return platform.system()


def machine(environment: dict) -> dict:
    """The machine fingerprint (spec rule 7): what makes two results comparable. `id` is a hash of
    every other field; two results with different ids come from different kinds of machine."""
    flags = cpu_flags()
    fields = {
        "cpu_model": environment.get("cpu_model"),
        "cpu_flags_sha256": hashlib.sha256(" ".join(flags).encode()).hexdigest()[:16] if flags else None,
        "cores": environment.get("cpu_count"),
        "memory_gib": memory_gib(),
        "os": os_name(),
        "gpu_name": environment.get("gpu_name"),
        "driver": environment.get("driver"),
        "cuda": environment.get("cuda"),
    }
    fields["id"] = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    return fields
