#!/usr/bin/env python3
"""Execute a plan on a machine without Node or network (a GPU box, a batch node).

    python3 scripts/execute-plan.py PLAN.json --bundle BUNDLE.json [--python PYTHON]

Runs each cell of the plan (written by `npm run plan`) in its own process, with the same
arguments, spec on standard input and timeout as `npm run build`, and records what each process
did, unclassified: its exit code or signal, whether it timed out, every line of its stdout and
the tail of its stderr. `npm run ingest` classifies them with the build's own code, so a result
means the same wherever it ran. The bundle is rewritten atomically after each cell, so an
interrupted execution keeps what completed. Standard library only.
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
PLAN_VERSION = 2
BUNDLE_VERSION = 2
STDERR_TAIL_LINES = 30
KILL_GRACE_S = 5


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_cell(cell: dict, python: str) -> dict:
    """Runs one cell's process; returns its raw outcome (schemas.ts, RawOutcomeSchema)."""
    command = [python, *cell["args"]]
    env = {**os.environ, **cell["variables"], "PYTHONPATH": str(ROOT / "runners" / "lib"), "PYTHONUNBUFFERED": "1"}
    started, clock = now(), time.monotonic()
    stdout: list[str] = []
    with tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=stderr, text=True)
        reader = threading.Thread(target=lambda: stdout.extend(line.rstrip("\n") for line in child.stdout), daemon=True)
        reader.start()
        try:
            child.stdin.write(json.dumps(cell["spec"]) + "\n")
            child.stdin.close()
        except BrokenPipeError:
            pass  # it died before reading its spec: its exit says why
        timed_out = False
        try:
            child.wait(timeout=cell["timeout_s"])
        except subprocess.TimeoutExpired:
            timed_out = True
            child.terminate()
            try:
                child.wait(timeout=KILL_GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        except KeyboardInterrupt:
            child.kill()
            child.wait()
            raise
        reader.join()
        stderr.seek(0)
        tail = stderr.read().splitlines()[-STDERR_TAIL_LINES:]
    code = child.returncode
    return {
        "exit_code": code if code >= 0 else None,
        "signal": signal.Signals(-code).name if code < 0 else None,
        "timed_out": timed_out,
        "stdout": stdout,
        "stderr_tail": tail,
        "started_at": started,
        "finished_at": now(),
        "wall_s": round(time.monotonic() - clock, 3),
        "command": ["python", *cell["args"]],
    }


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
    temporary.write_text(json.dumps(value, indent=1) + "\n")
    os.replace(temporary, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="the plan file written by `npm run plan`")
    parser.add_argument("--bundle", type=Path, required=True, help="where to write the results bundle")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the runners (default: this one)")
    args = parser.parse_args()

    plan = json.loads(args.plan.read_text())
    if plan.get("plan_version") != PLAN_VERSION:
        parser.error(f"{args.plan} is not a version {PLAN_VERSION} plan: write it again with `npm run plan`")
    bundle = {"bundle_version": BUNDLE_VERSION, "target": plan["target"], "plan_created_at": plan["created_at"], "entries": []}
    cells = plan["cells"]
    print(f"executing {len(cells)} cells of target {plan['target']} with {args.python}", file=sys.stderr)
    try:
        for index, cell in enumerate(cells, 1):
            print(f"[{index}/{len(cells)}] {cell['id']} ...", file=sys.stderr, flush=True)
            raw = run_cell(cell, args.python)
            bundle["entries"].append({"id": cell["id"], "key": cell["key"], "inputs": cell["inputs"], "raw": raw})
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
