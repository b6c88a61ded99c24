"""python -m equivalence --runner runners/<framework>/<benchmark>.py --cell PATH|-

Prints the outcome of the Rosetta check on stdout as the one result event of the runners' protocol
(runners/README.md: a JSON line with "protocol" and "event": "result"; the rest goes to stderr),
so the build runs, classifies and stores a check exactly as it does a cell.
Exit codes: 0 the check ran (its outcome says whether it passed), 3 the framework cannot be
imported, 1 the network could not be built or run."""

import argparse
import json
import sys
from pathlib import Path

import equivalence


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m equivalence", description=__doc__.split("\n\n")[1])
    parser.add_argument("--runner", required=True, type=Path, help="the runner whose network is checked")
    parser.add_argument("--cell", required=True, help="a cell spec (JSON) for that runner, fp32 on the cpu; - for stdin")
    args = parser.parse_args()
    spec = json.loads(sys.stdin.read() if args.cell == "-" else Path(args.cell).read_text())
    try:
        outcome = equivalence.check(args.runner, spec)
    except ImportError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 3
    equivalence.emit(outcome)
    return 0


sys.exit(main())
