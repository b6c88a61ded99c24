"""Puts runners/lib on sys.path, so `import rosetta` works however pytest is started (the
runners' own PYTHONPATH; runners/ itself is never on the path, so its folders jax/, keras/,
tensorflow/ cannot shadow the framework packages)."""

import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"
if str(LIB) not in sys.path:
    sys.path.insert(0, str(LIB))
