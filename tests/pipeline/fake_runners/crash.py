import sys
from common import progress
progress(phase="train")
print("Traceback (most recent call last):", file=sys.stderr)
print("RuntimeError: out of memory", file=sys.stderr)
sys.exit(1)
