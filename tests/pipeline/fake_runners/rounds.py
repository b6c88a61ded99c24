"""A fake runner of two repeats that writes what it does to $ROUNDS_LOG, and waits for its turn
before each repeat when its spec says interleaved (as rosetta.repeats does)."""
import json
import os
import sys
import time

from common import result

spec = json.loads(sys.stdin.readline())
name = os.environ["NAME"]


def note(what):
    with open(os.environ["ROUNDS_LOG"], "a") as log:
        log.write(f"{name} {what}\n")


note("setup")
for repeat in (1, 2):
    if spec["interleaved"]:
        print(json.dumps({"protocol": 1, "event": "turn", "repeat": repeat}), flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit(1)
    note(f"repeat {repeat}")
    time.sleep(float(os.environ.get("REPEAT_S", "0")))
result()
