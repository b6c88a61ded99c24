"""The shared module (runners/lib/rosetta): NumPy and the standard library only, no framework."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import pickle
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import rosetta
from rosetta import data as data_module
from rosetta import download, sources
from rosetta.protocol import Emitter, ProtocolError
from rosetta.rng import Random

env_module = importlib.import_module("rosetta.environment")  # `rosetta.environment` is the function

REPO = Path(__file__).resolve().parents[2]
RUNNERS = REPO / "runners"
BENCHMARK_FILES = {b: REPO / "content" / "benchmarks" / f"{b}.json" for b in rosetta.BENCHMARKS}


def spec(benchmark: str = "cnn-cifar10", profile: str = "smoke", repeats: int | None = None, **overrides) -> dict:
    params = json.loads(BENCHMARK_FILES[benchmark].read_text())["profiles"][profile]
    params = params if repeats is None else {**params, "repeats": repeats}
    return {"spec_version": 1, "protocol": 1, "key": "k", "benchmark": benchmark, "framework": "numpy",
            "target": "cpu", "mode": "fp32", "profile": profile, "device": "cpu", "params": params,
            "data_dir": "no-such-data-dir", "seed": 0, **overrides}


def cell(benchmark: str = "cnn-cifar10", profile: str = "smoke", **overrides) -> rosetta.Cell:
    return rosetta.parse_cell(spec(benchmark, profile, **overrides))  # repeats=N: the profile's, changed


@pytest.fixture(autouse=True)
def small_calibration_gemm(monkeypatch):
    """Every repeat is calibrated with a GEMM (rosetta.repeats): 64x64 here rather than 1024x1024,
    the same code at a 4000th of the work, so the tests that go through repeats stay quick."""
    monkeypatch.setattr(importlib.import_module("rosetta.repeats"), "GEMM_SIZE", 64)


def run_python(code: str, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(RUNNERS / "lib"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, **kwargs)


# ------------------------------------------------------------------------------------------- cell spec

@pytest.mark.parametrize("benchmark", sorted(rosetta.BENCHMARKS))
@pytest.mark.parametrize("profile", ["full", "cpu", "smoke"])
def test_every_profile_in_content_parses_into_typed_params(benchmark, profile):
    c = cell(benchmark, profile)
    assert c.repeats >= 1 and isinstance(c.params.batch_size, int)
    assert c.kind in ("training", "inference")


def test_params_are_coerced_to_their_declared_types():
    c = cell("gru-imdb", params={**spec("gru-imdb")["params"], "lr": 1, "batch_size": 64.0})
    assert c.params.lr == 1.0 and isinstance(c.params.lr, float)
    assert c.params.batch_size == 64 and isinstance(c.params.batch_size, int)


@pytest.mark.parametrize("change", [
    {"params": {"train_images": 1}},  # missing fields
    {"params": {**spec()["params"], "extra": 1}},  # unknown field
    {"params": {**spec()["params"], "epochs": 1.5}},  # not an integer
    {"protocol": 2}, {"spec_version": 2}, {"benchmark": "mnist"}, {"mode": "tf32"}, {"device": "tpu"},
])
def test_a_cell_spec_outside_the_contract_is_rejected(change):
    with pytest.raises(ValueError):
        rosetta.parse_cell({**spec(), **change})


def test_read_cell_reads_the_file_given_by_the_cell_flag(tmp_path):
    path = tmp_path / "cell.json"
    path.write_text(json.dumps(spec("resnet50-features", mode="fast")))
    c = rosetta.read_cell(["--cell", str(path)])
    assert c.benchmark == "resnet50-features" and c.fast and c.params.passes == c.repeats == 1


def test_read_cell_reads_standard_input_when_the_cell_flag_is_a_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(spec("gru-imdb"))))
    assert rosetta.read_cell(["--cell", "-"]).params.hidden == 100


# ------------------------------------------------------------------------------------------- protocol

def events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_progress_events_are_json_lines_with_the_protocol_version():
    out = io.StringIO()
    Emitter(out).progress("train", epoch=1, step=20, steps=40, loss=np.float32(2.5), skipped=None)
    assert events(out) == [{"protocol": 1, "event": "progress", "phase": "train", "epoch": 1, "step": 20, "steps": 40, "loss": 2.5}]


def test_progress_leaves_out_a_non_finite_loss_rather_than_writing_null():
    out = io.StringIO()
    Emitter(out).progress("train", epoch=1, loss=float("nan"))
    assert events(out) == [{"protocol": 1, "event": "progress", "phase": "train", "epoch": 1}]


def test_progress_is_rate_limited_to_every_nth_step():
    out = io.StringIO()
    emitter = Emitter(out)
    for step in range(1, 41):
        emitter.progress("train", step=step, steps=40)
    emitter.progress("train", loss=1.0)  # no step: always
    assert [e.get("step") for e in events(out)] == [10, 20, 30, 40, None]


def test_exactly_one_result_and_nothing_after_it():
    out = io.StringIO()
    emitter = Emitter(out)
    emitter.emit("result", x=1)
    with pytest.raises(ProtocolError):
        emitter.emit("result", x=2)
    with pytest.raises(ProtocolError):
        emitter.progress("eval")
    assert len(events(out)) == 1


def test_non_finite_numbers_become_null_so_the_line_stays_valid_json():
    out = io.StringIO()
    Emitter(out).emit("result", loss=[[float("nan"), np.float64("inf"), 1.5]], n=np.int64(3))
    assert events(out)[0]["loss"] == [[None, None, 1.5]] and events(out)[0]["n"] == 3


def test_the_shared_module_and_the_check_import_no_framework():
    done = run_python("import sys, rosetta, equivalence\n"
                      "print(sorted(m for m in ('torch', 'jax', 'flax', 'tensorflow', 'keras') if m in sys.modules), file=sys.stderr)")
    assert done.returncode == 0 and done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_importing_rosetta_sends_stray_prints_to_stderr_and_keeps_stdout_for_the_protocol():
    code = ("import os, rosetta\nprint('stray python print')\nos.write(1, b'stray c-level write\\n')\n"
            "os.system('echo stray child process')\nrosetta.progress('setup')")
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"protocol": 1, "event": "progress", "phase": "setup"}]
    assert all(s in done.stderr for s in ("stray python print", "stray c-level write", "stray child process"))


def test_unavailable_framework_exits_with_code_3_and_the_error_on_stderr():
    done = run_python("import rosetta\ntry:\n    import no_such_framework\nexcept Exception as e:\n    rosetta.unavailable(e)")
    assert done.returncode == 3 and done.stdout == "" and "no_such_framework" in done.stderr


# ------------------------------------------------------------------------------------------- result

def through_repeats(c: rosetta.Cell) -> rosetta.Cell:
    """Runs the cell's repeat loop (with nothing in it), as a runner does before its result."""
    for _ in rosetta.repeats(c):
        pass
    return c


def result_fields(c: rosetta.Cell, seconds: list[float], items: int, **extra) -> dict:
    through_repeats(c)
    return rosetta.build_result(c, seconds=seconds, items=items, warmup_s=1.0, param_count=5, fast_path=[],
                                data={"name": "x", "synthetic": False, "sha256": None, "placement": "host"},
                                environment={}, **extra)


def test_result_has_exactly_the_fields_of_the_readme_table():
    readme = (RUNNERS / "README.md").read_text()
    table = readme[readme.index("| field |"):].split("\n\n")[0]
    documented = {line.split("`")[1] for line in table.splitlines()[2:]}
    assert set(result_fields(cell(), [2.0], 256)) == documented


def test_training_metric_is_train_seconds_with_median_min_max_and_throughput_per_repeat():
    r = result_fields(cell("cnn-cifar10", "cpu", repeats=3), [3.0, 1.0, 2.0], 2560, accuracies=[0.5, 0.6, 0.7])
    assert r["metric"] == {"name": "train_seconds", "unit": "s", "samples": [3.0, 1.0, 2.0], "median": 2.0, "min": 1.0, "max": 3.0}
    assert r["throughput"]["unit"] == "images/s" and r["throughput"]["samples"] == [2560 / 3, 2560, 1280]
    assert r["accuracy"] == 0.7


def test_inference_metric_is_seconds_per_1000_images():
    r = result_fields(cell("resnet50-features", "cpu"), [0.5, 0.25, 1.0], 64, checksum=1.5)
    assert r["metric"]["name"] == "seconds_per_1000_images"
    assert r["metric"]["samples"] == [0.5 / 64 * 1000, 0.25 / 64 * 1000, 1000 / 64]
    assert r["throughput"] == {"unit": "images/s", "samples": [128.0, 256.0, 64.0], "median": 128.0, "min": 64.0, "max": 256.0}


def test_a_result_with_fewer_samples_than_repeats_is_refused():
    with pytest.raises(ValueError):
        result_fields(cell("cnn-cifar10", "cpu", repeats=3), [1.0], 2560)


def test_training_on_the_stand_in_says_so_in_the_notes():
    r = rosetta.build_result(through_repeats(cell()), seconds=[1.0], items=1, warmup_s=0, param_count=1, fast_path=[], environment={},
                             data={"name": "CIFAR-10", "synthetic": True, "sha256": None, "placement": "host"})
    assert any("stand-in" in note for note in r["notes"])


def test_a_result_whose_repeats_did_not_go_through_rosetta_repeats_is_refused():
    c = cell("cnn-cifar10", "cpu", repeats=3)
    through_repeats(cell())  # one repeat recorded, the cell has three
    with pytest.raises(ValueError, match="rosetta.repeats"):
        rosetta.build_result(c, seconds=[1.0, 1.0, 1.0], items=1, warmup_s=0, param_count=1, fast_path=[], environment={},
                             data={"name": "x", "synthetic": False, "sha256": None, "placement": "host"})


# ------------------------------------------------------------------------------------------- repeats

def test_repeats_calibrate_before_each_repeat_and_after_the_last_and_record_no_round_alone():
    c = cell("cnn-cifar10", "cpu", repeats=3)
    assert list(rosetta.repeats(c)) == [1, 2, 3]
    r = result_fields(c, [1.0, 1.0, 1.0], 1)
    readings = r["calibration"]["readings"]
    assert len(readings) == 4 and all(reading["cpu_gflops"] > 0 and reading["gpu_gflops"] is None for reading in readings)
    assert [(x["repeat"], x["round"]) for x in r["rounds"]] == [(1, None), (2, None), (3, None)]


INTERLEAVED = ("import json, sys, rosetta\n"
               "c = rosetta.parse_cell({**json.loads(sys.argv[1]), 'interleaved': True})\n"
               "for repeat in rosetta.repeats(c):\n"
               "    rosetta.progress('train', repeat=repeat)\n")


def test_an_interleaved_cell_waits_for_go_before_each_repeat():
    spec = {"spec_version": 1, "protocol": 1, "benchmark": "cnn-cifar10", "mode": "fp32", "profile": "smoke", "device": "cpu",
            "params": {"train_images": 1, "test_images": 1, "epochs": 1, "batch_size": 1, "lr": 0.1, "momentum": 0.9, "repeats": 2}}
    child = subprocess.Popen([sys.executable, "-c", INTERLEAVED, json.dumps(spec)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(RUNNERS / "lib")})
    events = []
    for _ in range(2):
        events.append(json.loads(child.stdout.readline()))  # the turn: it waits here
        child.stdin.write("go\n")
        child.stdin.flush()
        events.append(json.loads(child.stdout.readline()))
    child.stdin.close()
    assert child.wait(timeout=30) == 0
    assert [(e["event"], e["repeat"]) for e in events] == [("turn", 1), ("progress", 1), ("turn", 2), ("progress", 2)]


def test_an_interleaved_cell_whose_build_is_gone_exits_before_its_repeat():
    spec = {"spec_version": 1, "protocol": 1, "benchmark": "resnet50-features", "mode": "fp32", "profile": "smoke", "device": "cpu",
            "params": {"batch_size": 1, "batches": 1, "image_size": 8, "passes": 1}}
    done = subprocess.run([sys.executable, "-c", INTERLEAVED, json.dumps(spec)], input="", capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(RUNNERS / "lib")}, timeout=30)
    assert done.returncode == 1 and "build stopped" in done.stderr
    assert [json.loads(line)["event"] for line in done.stdout.splitlines()] == ["turn"]


def test_the_machine_id_is_a_hash_of_its_fields_and_changes_with_them():
    env = rosetta.environment(cell(), "1.0")
    first, same = rosetta.machine(env), rosetta.machine(dict(env))
    other = rosetta.machine({**env, "cpu_model": "another CPU"})
    assert first == same and first["id"] != other["id"]
    assert first["cores"] == env["cpu_count"] and first["memory_gib"] >= 1


# ------------------------------------------------------------------------------------------- timing

def test_timed_synchronises_before_starting_and_before_stopping_the_clock():
    calls = []
    with rosetta.timed(lambda: calls.append("sync")) as timer:
        calls.append("work")
    assert calls == ["sync", "work", "sync"] and timer.seconds >= 0


# ------------------------------------------------------------------------------------------- environment

def test_environment_has_every_documented_field_and_no_gpu_facts_on_a_cpu_cell():
    env = rosetta.environment(cell(), "1.0", cuda="12.4", cudnn=90100, gpu_name="H100", gpu_memory_bytes=1, tf32=False)
    for key in ("python", "framework", "framework_version", "numpy_version", "platform", "cpu_model", "cpu_count",
                "device", "cuda", "cudnn", "driver", "gpu_name", "gpu_memory_bytes", "tf32"):
        assert key in env
    assert env["cuda"] is env["gpu_name"] is env["gpu_memory_bytes"] is None
    assert env["numpy_version"] == np.__version__ and env["cpu_count"] >= 1 and env["tf32"] is False


def test_nvidia_smi_fills_driver_power_and_clock_on_a_cuda_cell(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA H100 80GB HBM3, 81559, 570.86.15, 700.00, 1980'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    env = rosetta.environment(cell(device="cuda"), "1.0", cuda="12.8", cudnn=91002, gpu_name="from framework")
    assert env["driver"] == "570.86.15" and env["gpu_power_limit_w"] == 700.0 and env["gpu_sm_clock_max_mhz"] == 1980.0
    assert env["gpu_name"] == "from framework" and env["gpu_memory_bytes"] == 81559 * 1024 * 1024
    assert env["cuda"] == "12.8" and env["cudnn"] == "91002"


def test_environment_does_not_fail_without_nvidia_smi(monkeypatch):
    monkeypatch.setattr(importlib.import_module("rosetta.environment").shutil, "which", lambda name: None)
    env = rosetta.environment(cell(device="cuda"), "1.0")
    assert env["driver"] is None and env["gpu_name"] is None


# The /proc/cpuinfo of three machines, cut to the lines the peak reads.
ZEN4_VM = """processor\t: {n}
vendor_id\t: AuthenticAMD
cpu family\t: 25
model name\t: AMD EPYC
cpu MHz\t\t: 2596.144
physical id\t: 0
core id\t\t: {n}
flags\t\t: fpu sse sse2 fma avx avx2 avx512f avx512_bf16
"""
XEON_SMT = """processor\t: {n}
vendor_id\t: GenuineIntel
cpu family\t: 6
model name\t: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz
cpu MHz\t\t: 1200.000
physical id\t: 0
core id\t\t: {core}
flags\t\t: fpu sse sse2 fma avx avx2
"""
GRAVITON = """processor\t: {n}
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
"""


def cpuinfo(template, n, **fields):
    return "\n".join(template.format(n=i, **{k: f(i) for k, f in fields.items()}) for i in range(n))


def test_cpu_peak_multiplies_lanes_fma_units_flop_cores_and_clock_and_says_each():
    peak = env_module.cpu_peak_from(cpuinfo(ZEN4_VM, 2), {0, 1}, None)
    # Zen 4: one 512-bit FMA per cycle (its two 256-bit units together); no cpufreq: cpu MHz.
    assert peak["fp32"] == pytest.approx(16 * 1 * 2 * 2 * 2.596144e9)
    assert peak["basis"].startswith("16 lanes (AVX-512) x 1 FMA unit x 2 FLOP x 2 cores x 2.60 GHz (Zen 4")
    assert "cpu MHz" in peak["basis"] and peak["ceiling"] is False


def test_cpu_peak_counts_the_cores_the_process_may_use_and_not_their_smt_threads():
    text = cpuinfo(XEON_SMT, 8, core=lambda i: i % 4)  # 4 cores, 2 threads each
    assert env_module.cpu_peak_from(text, {0, 4}, None)["basis"].endswith("x 1 core (2 threads) x 2.30 GHz "
        "(2 FMA units assumed: Intel since Haswell, AMD since Zen 2, AVX-512 Xeon Gold 6000 and Platinum; some models have 1; "
        "clock: the model name's, the base clock, not the boost)")
    # The model name's base clock before "cpu MHz" (a current, throttled reading).
    assert env_module.cpu_peak_from(text, {0, 1, 2}, None)["fp32"] == pytest.approx(8 * 2 * 2 * 3 * 2.3e9)


def test_cpufreq_max_clock_makes_the_peak_a_ceiling():
    peak = env_module.cpu_peak_from(cpuinfo(XEON_SMT, 4, core=lambda i: i), {0, 1, 2, 3}, 3_000_000)
    assert peak["fp32"] == pytest.approx(8 * 2 * 2 * 4 * 3.0e9) and peak["ceiling"] is True
    assert "cpufreq cpuinfo_max_freq" in peak["basis"]


def test_cpu_peak_of_arm_neon_and_without_fma():
    arm = env_module.cpu_peak_from(cpuinfo(GRAVITON, 2), {0, 1}, 2_600_000)
    assert arm["fp32"] == pytest.approx(4 * 4 * 2 * 2 * 2.6e9) and arm["basis"].startswith("4 lanes (Neon) x 4 FMA units x 2 FLOP")
    old = cpuinfo(XEON_SMT, 1, core=lambda i: i).replace("fma avx avx2", "")
    assert env_module.cpu_peak_from(old, {0}, None)["basis"].startswith("4 lanes (SSE) x 2 FLOP (a multiply and an add, no FMA) x 1 core x 2.30 GHz")


def test_cpu_peak_is_none_without_a_clock_or_vector_flags():
    assert env_module.cpu_peak_from(cpuinfo(GRAVITON, 2), {0, 1}, None) is None  # Arm cpuinfo has no clock
    assert env_module.cpu_peak_from("processor\t: 0\nflags\t: fpu\ncpu MHz\t: 2000\n", {0}, None) is None
    assert env_module.cpu_peak_from("", {0}, None) is None


def test_environment_records_this_machines_cpu_peak_or_null():
    peak = rosetta.environment(cell(), "1.0")["cpu_peak_flops"]
    assert peak is None or (peak["fp32"] > 1e9 and " GHz (" in peak["basis"] and isinstance(peak["ceiling"], bool))


# ------------------------------------------------------------------------------------------- shuffles

def test_epoch_batches_drop_the_last_incomplete_batch_and_cover_distinct_examples():
    b = rosetta.epoch_batches(1000, 64, seed=0, epoch=0)
    assert b.shape == (15, 64) and b.dtype == np.int64
    assert len(np.unique(b)) == 960 and b.min() >= 0 and b.max() < 1000


def test_shuffles_are_reproducible_and_differ_between_epochs_and_seeds():
    a = rosetta.epoch_permutation(500, seed=0, epoch=0)
    assert np.array_equal(a, rosetta.epoch_permutation(500, seed=0, epoch=0))
    assert not np.array_equal(a, rosetta.epoch_permutation(500, seed=0, epoch=1))
    assert not np.array_equal(a, rosetta.epoch_permutation(500, seed=1, epoch=0))


def test_shuffle_is_pinned_so_every_numpy_version_gives_the_same_order():
    assert rosetta.epoch_permutation(10, seed=0, epoch=0).tolist() == PINNED_PERMUTATION


def test_random_streams_draw_the_pinned_bits_keyed_by_the_whole_tuple():
    assert Random(7, 8).raw(4).tolist() == PINNED_RAW  # the same words in every NumPy version: weights, data, shuffles agree
    assert Random(8, 7).raw(4).tolist() != PINNED_RAW and Random(7).raw(4).tolist() != PINNED_RAW


def test_uniform_draws_are_pinned_float32_with_24_bits_and_scale_onto_the_interval():
    u = Random(7, 8).uniform(4)
    assert u.dtype == np.float32 and (u * 2 ** 24).tolist() == PINNED_UNIFORM_IN_2_TO_THE_MINUS_24
    scaled = Random(7, 8).uniform((2, 3), -1, 1)
    assert scaled.shape == (2, 3) and scaled.dtype == np.float32 and -1 <= scaled.min() and scaled.max() < 1
    assert np.allclose((scaled + 1) / 2, Random(7, 8).uniform((2, 3)), rtol=0, atol=2 ** -23)  # the same draws, stretched


# ------------------------------------------------------------------------------------------- weights

@pytest.mark.parametrize("model,benchmark", [("cnn", "cnn-cifar10"), ("gru", "gru-imdb"), ("resnet50", "resnet50-features")])
def test_canonical_weights_have_the_spec_parameter_count(model, benchmark):
    expected = json.loads(BENCHMARK_FILES[benchmark].read_text())["param_count"]
    assert rosetta.count_parameters(rosetta.canonical_weights(model)) == rosetta.PARAM_COUNTS[model] == expected


@pytest.mark.parametrize("model", ["cnn", "gru", "resnet50"])
def test_canonical_weights_are_float32_and_bit_identical_to_the_pinned_digest(model):
    weights = rosetta.canonical_weights(model)
    assert all(w.dtype == np.float32 and np.isfinite(w).all() for w in weights.values())
    digest = hashlib.sha256()
    for name, w in weights.items():
        digest.update(name.encode() + str(w.shape).encode() + np.ascontiguousarray(w).tobytes())
    assert digest.hexdigest() == PINNED_WEIGHT_DIGESTS[model]


def test_canonical_layouts_are_hwio_kernels_in_out_dense_and_per_gate_gru():
    cnn, gru, resnet = (rosetta.canonical_weights(m) for m in ("cnn", "gru", "resnet50"))
    assert cnn["conv1.kernel"].shape == (3, 3, 3, 50) and cnn["dense1.kernel"].shape == (6400, 512)
    assert [k for k in gru if k.startswith("gru.")] == [f"gru.{kind}.{g}" for kind in
                                                        ("input_kernel", "recurrent_kernel", "input_bias", "recurrent_bias") for g in "rzn"]
    assert gru["gru.input_kernel.z"].shape == (125, 100) and gru["gru.recurrent_kernel.n"].shape == (100, 100)
    assert resnet["stem.conv.kernel"].shape == (7, 7, 3, 64) and resnet["layer2.0.conv2.kernel"].shape == (3, 3, 128, 128)
    assert resnet["layer4.0.downsample.conv.kernel"].shape == (1, 1, 1024, 2048) and "layer4.1.downsample.conv.kernel" not in resnet
    assert all(resnet[k].min() > 0 for k in resnet if k.endswith(".var"))


def test_gru_weights_follow_the_cells_sizes():
    w = rosetta.canonical_weights("gru", vocab_size=100, embed_dim=8, hidden=4)
    assert w["embedding.table"].shape == (100, 8) and w["gru.input_kernel.r"].shape == (8, 4)


# ------------------------------------------------------------------------------------------- data

def test_synthetic_cifar10_has_cifar_shapes_dtypes_and_8_bit_values():
    d = rosetta.load_cifar10(cell("cnn-cifar10", "smoke"))
    assert d.synthetic and d.sha256 is None and d.identity("host")["placement"] == "host"
    assert d.x_train.shape == (256, 32, 32, 3) and d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert 0 <= d.x_train.min() and d.x_train.max() <= 1 and np.allclose(d.x_train * 255, np.round(d.x_train * 255), atol=1e-4)
    assert set(np.unique(d.y_train)) == set(range(10))


def test_synthetic_data_are_reproducible_from_the_seed():
    a, b = rosetta.load_imdb(cell("gru-imdb")), rosetta.load_imdb(cell("gru-imdb"))
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    c = rosetta.load_imdb(cell("gru-imdb", seed=1))
    assert not np.array_equal(a.x_train, c.x_train)


def test_synthetic_cifar10_is_learnable_by_a_nearest_class_mean():
    d = rosetta.load_cifar10(cell("cnn-cifar10", "cpu"))
    means = np.stack([d.x_train[d.y_train == k].mean(0) for k in range(10)])
    guess = ((d.x_test[:, None] - means[None]) ** 2).sum(axis=(2, 3, 4)).argmin(1)
    assert (guess == d.y_test).mean() > 0.5  # chance: 0.1


def test_synthetic_imdb_is_learnable_from_its_cue_words():
    d = rosetta.load_imdb(cell("gru-imdb", "cpu"))
    assert d.x_train.shape == (2560, 150) and d.x_train.dtype == np.int32 and d.y_train.dtype == np.int64
    cue = lambda k: ((d.x_test >= 43 + 20 * k) & (d.x_test < 63 + 20 * k)).sum(1)
    assert ((cue(1) > cue(0)) == d.y_test).mean() > 0.8  # chance: 0.5
    assert 0.4 < d.y_train.mean() < 0.6


def test_keras_sequences_offset_words_mark_oov_keep_the_last_tokens_and_pad_at_the_front():
    out = rosetta.keras_sequences([[1, 5, 29_997, 40_000], [7]], vocab_size=30_000, seq_len=4)
    # start 1, words + 3, ids >= 30000 -> 2; last 4 kept; short reviews padded with 0 in front
    assert out.tolist() == [[4, 8, 2, 2], [0, 0, 1, 10]] and out.dtype == np.int32


def test_random_images_are_uniform_float32_nhwc_batches():
    images = rosetta.random_images(cell("resnet50-features", "cpu"))
    assert images.batches.shape == (2, 32, 224, 224, 3) and images.batches.dtype == np.float32
    assert 0 <= images.batches.min() and images.batches.max() < 1 and abs(images.batches.mean() - 0.5) < 0.01


def with_source(monkeypatch, key: str, path: Path) -> None:
    real = sources.SOURCES[key]
    fake = sources.Source(real.name, path.name, real.url, sources.sha256_file(path))
    monkeypatch.setitem(data_module.SOURCES, key, fake)


def test_real_cifar10_archive_is_read_as_nhwc_when_present(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    batches = {name: {b"data": rng.integers(0, 256, (10, 3072), dtype=np.uint8), b"labels": list(range(10))}
               for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]}
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, batch in batches.items():
            blob = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    with_source(monkeypatch, "cifar10", archive)
    d = rosetta.load_cifar10(cell("cnn-cifar10", params={**spec()["params"], "train_images": 20, "test_images": 5},
                                  data_dir=str(tmp_path)))
    assert not d.synthetic and d.sha256 == sources.sha256_file(archive)
    assert d.x_train.shape == (20, 32, 32, 3) and d.x_test.shape == (5, 32, 32, 3)
    raw = batches["data_batch_2"][b"data"][3]  # image 13: channel planes of 32x32, row-major
    h, w, c = 5, 7, 2
    assert d.x_train[13, h, w, c] == np.float32(raw[c * 1024 + h * 32 + w]) / np.float32(255)


def test_real_imdb_arrays_are_shuffled_as_keras_does_when_present(tmp_path, monkeypatch):
    reviews = np.empty(6, dtype=object)
    for i in range(6):
        reviews[i] = list(range(1, i + 2))
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=reviews, y_train=np.array([0, 0, 0, 1, 1, 1]), x_test=reviews, y_test=np.array([0, 1, 0, 1, 0, 1]))
    with_source(monkeypatch, "imdb", path)
    params = {**spec("gru-imdb")["params"], "train_reviews": 6, "test_reviews": 6, "seq_len": 8}
    d = rosetta.load_imdb(cell("gru-imdb", params=params, data_dir=str(tmp_path)))
    # keras.datasets.imdb.load_data shuffles with RandomState(113): reviews 1, 0, 3, 2, 4, 5 in that order
    assert not d.synthetic and d.y_train.tolist() == [0, 0, 1, 0, 1, 1]
    # review i is the words 1..i+1: start token 1, words + 3, front-padded to 8
    assert d.x_train.tolist()[:3] == [[0, 0, 0, 0, 0, 1, 4, 5], [0, 0, 0, 0, 0, 0, 1, 4], [0, 0, 0, 1, 4, 5, 6, 7]]


def test_a_data_file_with_the_wrong_hash_is_an_error_not_a_silent_stand_in(tmp_path):
    (tmp_path / "imdb.npz").write_bytes(b"not the real file")
    with pytest.raises(RuntimeError, match="rosetta.download"):
        rosetta.load_imdb(cell("gru-imdb", data_dir=str(tmp_path)))


# ------------------------------------------------------------------------------------------- download

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_download_renames_into_place_only_a_file_whose_hash_matches(tmp_path):
    origin = tmp_path / "origin.bin"
    origin.write_bytes(b"payload" * 1000)
    dest = tmp_path / "data" / "file.bin"
    download.fetch(origin.as_uri(), dest, hashlib.sha256(origin.read_bytes()).hexdigest())
    assert dest.read_bytes() == origin.read_bytes() and leftovers(dest.parent) == ["file.bin"]


def test_download_with_a_wrong_hash_leaves_nothing_behind(tmp_path):
    origin = tmp_path / "origin.bin"
    origin.write_bytes(b"payload")
    dest = tmp_path / "data" / "file.bin"
    with pytest.raises(download.DownloadError, match="sha256"):
        download.fetch(origin.as_uri(), dest, "0" * 64)
    assert leftovers(dest.parent) == []


def test_download_interrupted_midway_leaves_the_old_file_and_no_partial_one(tmp_path):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection lost")
            return super().read(4)

    dest = tmp_path / "file.bin"
    dest.write_bytes(b"old")
    with pytest.raises(download.DownloadError, match="connection lost"):
        download.fetch("https://example.invalid/file", dest, "0" * 64, opener=lambda url: Broken(b"12345678"))
    assert leftovers(tmp_path) == ["file.bin"] and dest.read_bytes() == b"old"


def test_download_command_fails_cleanly_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    def unreachable(url, timeout):
        raise OSError("Name or service not known")

    monkeypatch.setattr(download.urllib.request, "urlopen", unreachable)
    assert download.main(["--data-dir", str(tmp_path / "data"), "--only", "imdb"]) == 1
    message = capsys.readouterr().err
    assert "Name or service not known" in message and sources.SOURCES["imdb"].sha256 in message and "Nothing was written" in message
    assert leftovers(tmp_path / "data") == []


def test_download_skips_a_file_already_present_and_verified(tmp_path, monkeypatch):
    (tmp_path / "imdb.npz").write_bytes(b"content")
    real = sources.SOURCES["imdb"]
    monkeypatch.setitem(download.SOURCES, "imdb", sources.Source(real.name, real.file, real.url, hashlib.sha256(b"content").hexdigest()))
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded again"))
    assert download.main(["--data-dir", str(tmp_path), "--only", "imdb"]) == 0


PINNED_PERMUTATION = [3, 2, 1, 8, 6, 0, 7, 4, 5, 9]
PINNED_RAW = [0xB7321919E622AC2B, 0x940F40A5B41E6958, 0x0DA5F6C27C0C44C4, 0x9E45A5BE7A066832]  # Random(7, 8).raw(4)
PINNED_UNIFORM_IN_2_TO_THE_MINUS_24 = [12_005_913, 9_703_232, 894_454, 10_372_517]  # Random(7, 8).uniform(4) * 2**24
PINNED_WEIGHT_DIGESTS = {
    "cnn": "0b6e898a1612125c37b38fb23bd689a49ba3db00cc0cf31994cb423634de7df6",
    "gru": "214f776b293ea4faa1d0b78e3ce50bd7a9ded9f5dfae982b9ed388a224f97bc5",
    "resnet50": "0c6b125606cb8e9dd6801e6f3031b1a207cc9b576b7cba0a007420e5aac0c312",
}
