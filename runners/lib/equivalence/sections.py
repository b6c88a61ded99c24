"""Runs the first sections of a runner (its imports, hyper-parameters, data and network) and hands
back its namespace: the runners are scripts read top to bottom, so the network the check compares
is the very one the benchmark trains or times, built by the runner's own code."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

BANNER = re.compile(r"^#{45}\n#\s+(.+?)\s+#\n#{45}$", re.M)
MODEL_SECTIONS = ("Hyper-parameters", "Data", "Network")


def section_names(source: str) -> list[str]:
    return BANNER.findall(source)


def run_sections(runner: Path, spec: dict, names: tuple[str, ...] = MODEL_SECTIONS) -> dict:
    """Executes the runner's prelude and the named sections with `spec` as its cell; the other
    sections are blanked line for line, so tracebacks point at the runner's real lines."""
    parts = BANNER.split(runner.read_text())  # prelude, name, body, name, body, ...
    code = parts[0] + "".join(f"\n\n\n{body}" if name in names else "\n" * (body.count("\n") + 3)
                              for name, body in zip(parts[1::2], parts[2::2]))
    with tempfile.TemporaryDirectory() as folder:
        cell = Path(folder) / "cell.json"
        cell.write_text(json.dumps(spec))
        argv, sys.argv = sys.argv, [str(runner), "--cell", str(cell)]
        try:
            namespace = {"__name__": runner.stem}
            exec(compile(code, str(runner), "exec"), namespace)
        finally:
            sys.argv = argv
    return namespace
