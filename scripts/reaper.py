#!/usr/bin/env python3
"""Kill a dead build's job processes: what makes sure no runner outlives the build that started it.

    python3 scripts/reaper.py        (started by the build or by scripts/execute-plan.py, never by hand)

The build and the offline executor start each job's process in its own process group and start
one reaper beside them, in a session of its own, with a pipe on its standard input. They write
`+PGID` when a job starts and `-PGID` once its group is gone. When the pipe closes (the parent
exited, however it died, `kill -9` included) the reaper kills every group still listed with
SIGKILL, children holding the job's output included, and exits. Standard library only.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> int:
    groups: set[int] = set()
    for line in sys.stdin:
        line = line.strip()
        if line[:1] in "+-" and line[1:].isdigit():
            (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
