"""Environment capture (spec rule 7): what actually ran. The runner passes what only its framework
knows; the rest is read here. Unknown values are None; nothing here fails for want of a tool."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
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


# The fp32 lanes of the widest vector unit the flags name, widest first (x86 "flags", Arm "Features";
# avx2 implies avx). SVE is left out: cpuinfo does not say its width.
VECTOR_LANES = (("avx512f", 16, "AVX-512"), ("avx", 8, "AVX"), ("sse", 4, "SSE"), ("asimd", 4, "Neon"), ("neon", 4, "Neon"))


def fma_units(flags: set[str], vendor: str | None, family: str | None, lanes: int) -> tuple[int, str]:
    """How many full-width FMAs a core starts per cycle. Not in cpuinfo: the documented count where
    the family fixes it, else the most such cores have, so that the peak stays an upper bound (the
    build fails a result above it as a timing bug)."""
    if "asimd" in flags:
        return 4, "4 FMA units assumed: the most of any Neon core (Neoverse V1, Apple M1); Neoverse N1 and Cortex-A7x have 2"
    if vendor == "AuthenticAMD" and family == "25" and lanes == 16:
        return 1, "Zen 4: a 512-bit FMA takes both of its 256-bit FMA units"
    return 2, "2 FMA units assumed: Intel since Haswell, AMD since Zen 2, AVX-512 Xeon Gold 6000 and Platinum; some models have 1"


def cpu_peak_from(cpuinfo: str, allowed: set[int], max_khz: float | None) -> dict | None:
    """The fp32 peak FLOP/s of the cores in `allowed`: vector lanes x FMA units x 2 FLOP (a
    multiply-add) x cores x clock, with the basis of each factor in words, and `ceiling`: whether
    every factor is a maximum (only cpufreq gives the highest boost clock; the model name's and
    "cpu MHz" are base or current clocks that a boosting core passes). None when the flags or the
    clock are unknown. `cpuinfo` is /proc/cpuinfo's text, `max_khz` cpufreq's cpuinfo_max_freq."""
    blocks = [dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in chunk.splitlines()))
              for chunk in cpuinfo.split("\n\n") if chunk.strip()]
    mine = [b for b in blocks if b.get("processor", "").isdigit() and int(b["processor"]) in allowed]
    first = mine[0] if mine else (blocks[0] if blocks else {})
    flags = set((first.get("flags") or first.get("Features") or "").split())
    vector = next(((lanes, name) for flag, lanes, name in VECTOR_LANES if flag in flags), None)
    model = first.get("model name", "")
    if max_khz:
        ghz, clock = max_khz / 1e6, "cpufreq cpuinfo_max_freq, the highest boost clock"
    elif found := re.search(r"@\s*([\d.]+)\s*GHz", model):
        ghz, clock = float(found[1]), "the model name's, the base clock, not the boost"
    else:
        try:
            ghz, clock = float(first["cpu MHz"]) / 1000, "cpu MHz, the clock when read, not the boost"
        except (KeyError, ValueError):
            return None
    if vector is None or not ghz > 0:
        return None
    lanes, name = vector
    # Two threads of one core (SMT) share its vector units: count (socket, core) pairs.
    threads = len(mine) or len(allowed)
    cores = len({(b.get("physical id"), b.get("core id", b["processor"])) for b in mine}) or threads
    smt = f" ({threads} threads)" if threads != cores else ""
    if flags & {"fma", "fma4", "asimd"}:
        units, why = fma_units(flags, first.get("vendor_id"), first.get("cpu family"), lanes)
        per_cycle, how = lanes * units * 2, f"{units} FMA unit{'s' * (units > 1)} x 2 FLOP"
    else:
        per_cycle, how, why = lanes * 2, "2 FLOP (a multiply and an add, no FMA)", None
    notes = "; ".join(filter(None, [why, f"clock: {clock}"]))
    return {"fp32": float(round(per_cycle * cores * ghz * 1e9)),
            "basis": f"{lanes} lanes ({name}) x {how} x {cores} core{'s' * (cores > 1)}{smt} x {ghz:.2f} GHz ({notes})",
            "ceiling": bool(max_khz)}


def cpu_peak_flops() -> dict | None:
    """This process's CPU peak (cpu_peak_from) from /proc/cpuinfo, its CPU affinity and cpufreq."""
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = set(range(os.cpu_count() or 1))
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    khz = []
    for cpu in allowed:
        try:
            khz.append(float(Path(f"/sys/devices/system/cpu/cpu{cpu}/cpufreq/cpuinfo_max_freq").read_text()))
        except (OSError, ValueError):
            pass
    return cpu_peak_from(cpuinfo, allowed, max(khz, default=None))


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
        "cpu_peak_flops": cpu_peak_flops(),
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
