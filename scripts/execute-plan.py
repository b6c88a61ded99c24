#!/usr/bin/env python3
"""Execute a plan on a machine without Node or network (a GPU box, a batch node).

    python3 scripts/execute-plan.py PLAN.json --bundle BUNDLE.json [--python PYTHON]

Runs each cell of the plan (written by `npm run plan`) in its own process, with the same
JSON-lines protocol and timeouts as `npm run build`, and writes every outcome, failures with the
tail of their stderr included, to one bundle file, rewritten atomically after each cell so an
interrupted execution keeps what completed. Bring the bundle back and `npm run ingest` it.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = 1
EXIT_UNAVAILABLE = 3
STDERR_TAIL_LINES = 30


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def classify(lines: list[str]) -> tuple[list[dict], str | None, dict | None]:
    """Protocol lines -> (results, first problem, last progress event)."""
    results, problem, last = [], None, None
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            problem = problem or f"a line on stdout is not JSON: {line[:200]}"
            continue
        if not isinstance(event, dict) or event.get("protocol") != PROTOCOL:
            problem = problem or f"a line does not speak protocol {PROTOCOL}: {line[:200]}"
        elif event.get("event") == "result":
            results.append(event)
        elif event.get("event") == "progress":
            last = event
        else:
            problem = problem or f"unknown event {event.get('event')!r}"
    return results, problem, last


def run_cell(cell: dict, python: str) -> dict:
    spec_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(cell["spec"], spec_file)
    spec_file.close()
    command = [python, cell["runner"], "--cell", spec_file.name]
    env = {**os.environ, **cell["variables"], "PYTHONPATH": str(ROOT / "runners" / "lib"), "PYTHONUNBUFFERED": "1"}
    started, clock = now(), time.monotonic()
    stdout: list[str] = []
    with tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=stderr, text=True)
        reader = threading.Thread(target=lambda: stdout.extend(child.stdout), daemon=True)
        reader.start()
        timed_out = False
        try:
            child.wait(timeout=cell["timeout_s"])
        except subprocess.TimeoutExpired:
            timed_out = True
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        except KeyboardInterrupt:
            child.kill()
            child.wait()
            raise
        finally:
            os.unlink(spec_file.name)
        reader.join()
        stderr.seek(0)
        tail = stderr.read().splitlines()[-STDERR_TAIL_LINES:]

    results, problem, _ = classify(stdout)
    code = child.returncode
    if timed_out:
        status, message = "timeout", f"no result within the {cell['timeout_s']} s timeout; the runner was stopped"
    elif code == EXIT_UNAVAILABLE:
        status, message = "unavailable", tail[-1] if tail else "the framework could not be imported"
    elif code != 0:
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        status, message = "failed", f"the runner {how}" + (f": {tail[-1]}" if tail else "")
    elif problem:
        status, message = "invalid-output", problem
    elif len(results) != 1:
        status, message = "invalid-output", ("the runner exited without a result event" if not results else
                                             f"the runner printed {len(results)} result events; exactly one is allowed")
    elif cell["cell"]["mode"] == "fp32" and results[0].get("environment", {}).get("tf32") is True:
        status, message = "failed", "TF32 was on in fp32 mode: the result is not a true fp32 measurement"
    else:
        status, message = "ok", None
    return {
        "entry_version": 1,
        "key": cell["key"],
        "cell": cell["cell"],
        "inputs": cell["inputs"],
        "status": status,
        "result": results[0] if status == "ok" else None,
        "error": None if message is None else {"message": message, "exit_code": code, "stderr_tail": tail},
        "started_at": started,
        "finished_at": now(),
        "wall_s": round(time.monotonic() - clock, 3),
        "command": ["python", cell["runner"], "--cell", "cell.json"],
    }


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
    if plan.get("plan_version") != 1:
        parser.error(f"{args.plan} is not a version 1 plan")
    bundle = {"bundle_version": 1, "target": plan["target"], "plan_created_at": plan["created_at"], "entries": []}
    cells = plan["cells"]
    print(f"executing {len(cells)} cells of target {plan['target']} with {args.python}", file=sys.stderr)
    try:
        for index, cell in enumerate(cells, 1):
            print(f"[{index}/{len(cells)}] {cell['id']} ...", file=sys.stderr, flush=True)
            entry = run_cell(cell, args.python)
            bundle["entries"].append(entry)
            write_atomic(args.bundle, bundle)
            detail = (f"{entry['result']['metric']['median']:.4g} {entry['result']['metric']['unit']}"
                      if entry["status"] == "ok" else entry["error"]["message"])
            print(f"[{index}/{len(cells)}] {cell['id']}: {entry['status']} {detail} ({entry['wall_s']:.1f} s)",
                  file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print(f"interrupted: {len(bundle['entries'])} completed cells are in {args.bundle}", file=sys.stderr)
        write_atomic(args.bundle, bundle)
        return 130
    write_atomic(args.bundle, bundle)

    print("\nsummary:", file=sys.stderr)
    for entry in bundle["entries"]:
        c = entry["cell"]
        print(f"  {entry['status']:<15} {entry['wall_s']:>8.1f} s  {c['benchmark']}/{c['framework']}/{c['mode']}", file=sys.stderr)
    total = sum(entry["wall_s"] for entry in bundle["entries"])
    print(f"{len(bundle['entries'])} cells in {total / 60:.1f} min; bundle: {args.bundle}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
