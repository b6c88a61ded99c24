#!/usr/bin/env python3
"""Execute a plan on a machine without Node or network (a GPU box, a batch node).

    python3 scripts/execute-plan.py PLAN.json --bundle BUNDLE.json [--python PYTHON]

Runs each cell of the plan (written by `npm run plan`) in its own process, with the same
arguments, spec on standard input and timeout as `npm run build`, and records what each process
did, unclassified: its exit code or signal, whether it timed out, every line of its stdout and
the tail of its stderr. `npm run ingest` classifies them with the build's own code, so a result
means the same wherever it ran. A cell runs only when PYTHON has the exact versions its
requirements pin (its key says they ran); otherwise it is recorded as not run, naming them.
Each cell's process leads a process group of its own that never outlives the cell (nor this
executor: scripts/reaper.py); its stdout is kept up to 16 MB. The bundle is rewritten atomically
after each cell, so an interrupted execution (Ctrl-C, SIGTERM) keeps what completed. Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN_VERSION = 3
BUNDLE_VERSION = 3
STDERR_TAIL_LINES = 30
STDERR_LIMIT_BYTES = 64 * 1024
OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024  # outcome.ts, OUTPUT_LIMIT_MB
KILL_GRACE_S = 5


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def kill_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def start_reaper() -> subprocess.Popen | None:
    """scripts/reaper.py: kills the groups of running cells if this executor dies (kill -9 included)."""
    try:
        return subprocess.Popen([sys.executable, str(ROOT / "scripts" / "reaper.py")], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    except OSError:
        return None


def tell(reaper: subprocess.Popen | None, line: str) -> None:
    if reaper and reaper.poll() is None:
        try:
            reaper.stdin.write(line + "\n")
            reaper.stdin.flush()
        except OSError:
            pass


def read_stdout(stream, lines: list[str], full: threading.Event, on_full) -> None:
    """Collects a process's stdout as lines, up to OUTPUT_LIMIT_BYTES (then calls on_full once)."""
    size = 0
    for raw in iter(lambda: stream.readline(1 << 20), b""):
        size += len(raw)
        if size > OUTPUT_LIMIT_BYTES:
            if not full.is_set():
                full.set()
                on_full()
            continue  # drain, keep nothing more
        lines.append(raw.decode("utf-8", "replace").rstrip("\n").rstrip("\r"))


def stderr_tail(file) -> list[str]:
    """The last lines of a process's stderr, read from at most its last STDERR_LIMIT_BYTES."""
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - STDERR_LIMIT_BYTES))
    lines = file.read().decode("utf-8", "replace").splitlines()
    return [line if len(line) <= 2000 else line[:2000] + "..." for line in lines[-STDERR_TAIL_LINES:]]


def run_cell(cell: dict, python: str, reaper: subprocess.Popen | None) -> dict:
    """Runs one cell's process in a process group of its own; returns its raw outcome (schemas.ts,
    RawOutcomeSchema). Nothing of the group outlives the cell: what the process left running is
    killed when it exits, and the whole group at its timeout."""
    command = [python, *cell["args"]]
    env = {**os.environ, **cell["variables"], "PYTHONPATH": str(ROOT / "runners" / "lib"), "PYTHONUNBUFFERED": "1"}
    started, clock = now(), time.monotonic()
    stdout: list[str] = []
    full = threading.Event()
    with tempfile.TemporaryFile("w+b") as stderr:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=stderr, start_new_session=True)
        group = child.pid
        tell(reaper, f"+{group}")
        reader = threading.Thread(target=read_stdout, args=(child.stdout, stdout, full, lambda: kill_group(group, signal.SIGKILL)),
                                  daemon=True)
        reader.start()
        try:
            child.stdin.write((json.dumps(cell["spec"]) + "\n").encode())
            child.stdin.close()
        except BrokenPipeError:
            pass  # it died before reading its spec: its exit says why
        timed_out = False
        try:
            child.wait(timeout=cell["timeout_s"])
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(group, signal.SIGTERM)
            try:
                child.wait(timeout=KILL_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
        finally:
            # Whatever is left of the group (children holding stdout open, an interrupted cell).
            kill_group(group, signal.SIGKILL)
            child.wait()
            reader.join()
            tell(reaper, f"-{group}")
        tail = stderr_tail(stderr)
    code = child.returncode
    return {
        "exit_code": code if code >= 0 else None,
        "signal": signal.Signals(-code).name if code < 0 else None,
        "timed_out": timed_out,
        "stdout": stdout,
        "stdout_truncated": full.is_set(),
        "stderr_tail": tail,
        "started_at": started,
        "finished_at": now(),
        "wall_s": round(time.monotonic() - clock, 3),
        "command": ["python", *cell["args"]],
    }


def not_run(cell: dict, why: str) -> dict:
    """The raw outcome of a cell the executor did not run (ingest classifies it as failed)."""
    stamp = now()
    return {"exit_code": None, "signal": None, "timed_out": False, "stdout": [], "stdout_truncated": False,
            "stderr_tail": [why], "started_at": stamp, "finished_at": stamp, "wall_s": 0,
            "command": ["python", *cell["args"]]}


INSTALLED = """
import importlib.metadata, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps(found))
"""


def installed_versions(python: str, names: list[str]) -> dict:
    """The version of each package in `python` (None: not installed)."""
    done = subprocess.run([python, "-c", INSTALLED, *names], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def mismatches(pins: dict, installed: dict) -> list[str]:
    """How the installed packages differ from the pins (environments.ts, versionMismatches)."""
    problems = []
    for name, pinned in sorted(pins.items()):
        found = installed.get(name)
        if found is None or not (found == pinned or ("+" not in pinned and found.startswith(pinned + "+"))):
            problems.append(f"{name} {found or 'not installed'} (pinned {pinned})")
    return problems


def last_words(raw: dict) -> str:
    """A hint for the console only (ingest classifies): the exit, or the result's median."""
    if raw["timed_out"]:
        return "timed out"
    if raw["exit_code"] != 0:
        return f"killed by {raw['signal']}" if raw["signal"] else f"exit code {raw['exit_code']}"
    for line in reversed(raw["stdout"]):
        try:
            event = json.loads(line)
            if event.get("event") == "result":
                return f"result: median {event['metric']['median']:.4g} {event['metric']['unit']}"
        except (ValueError, AttributeError, KeyError, TypeError):
            continue
    return "exit code 0, no readable result"


def write_atomic(path: Path, value: dict) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value, indent=1, allow_nan=False) + "\n")
    os.replace(temporary, path)


def stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="the plan file written by `npm run plan`")
    parser.add_argument("--bundle", type=Path, required=True, help="where to write the results bundle")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the runners (default: this one)")
    args = parser.parse_args()

    try:
        plan = json.loads(args.plan.read_text())
    except (OSError, ValueError) as error:
        parser.error(f"cannot read the plan {args.plan}: {error}")
    if not isinstance(plan, dict) or plan.get("plan_version") != PLAN_VERSION:
        parser.error(f"{args.plan} is not a version {PLAN_VERSION} plan: write it again with `npm run plan`")
    bundle = {"bundle_version": BUNDLE_VERSION, "target": plan["target"], "plan_created_at": plan["created_at"], "entries": []}
    cells = plan["cells"]
    names = sorted({name for cell in cells for name in cell["pins"]})
    try:
        installed = installed_versions(args.python, names)
    except (OSError, subprocess.CalledProcessError, ValueError) as error:
        parser.error(f"cannot ask {args.python} which packages it has: {error}")
    print(f"executing {len(cells)} cells of target {plan['target']} with {args.python}", file=sys.stderr)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    reaper = start_reaper()
    try:
        for index, cell in enumerate(cells, 1):
            print(f"[{index}/{len(cells)}] {cell['id']} ...", file=sys.stderr, flush=True)
            versions = {name: installed.get(name) for name in cell["pins"]}
            wrong = mismatches(cell["pins"], versions)
            try:
                raw = not_run(cell, f"not run: the installed packages are not the pinned ones: {', '.join(wrong)}") if wrong \
                    else run_cell(cell, args.python, reaper)
            except (OSError, ValueError, KeyError, TypeError) as error:
                raw = not_run(cell, f"the executor could not run it: {error!r}")
            bundle["entries"].append({"id": cell["id"], "key": cell["key"], "inputs": cell["inputs"], "installed": versions, "raw": raw})
            write_atomic(args.bundle, bundle)
            print(f"[{index}/{len(cells)}] {cell['id']}: {last_words(raw)} ({raw['wall_s']:.1f} s)", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print(f"interrupted: {len(bundle['entries'])} completed cells are in {args.bundle}", file=sys.stderr)
        write_atomic(args.bundle, bundle)
        return 130
    write_atomic(args.bundle, bundle)

    print("\nsummary (`npm run ingest` classifies and stores them):", file=sys.stderr)
    for entry in bundle["entries"]:
        print(f"  {last_words(entry['raw']):<40} {entry['raw']['wall_s']:>8.1f} s  {entry['id']}", file=sys.stderr)
    total = sum(entry["raw"]["wall_s"] for entry in bundle["entries"])
    print(f"{len(bundle['entries'])} cells in {total / 60:.1f} min; bundle: {args.bundle}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
