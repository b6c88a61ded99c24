"""Puts runners/ on sys.path, so `import rosetta` works however pytest is started.

With runners/ on the path, its framework folders (jax/, keras/, tensorflow/) would import as empty
namespace packages wherever that framework is not installed, and a test would not be skipped but
fail on `keras.backend`. Such an import is made to fail as it should (ImportError)."""

import importlib.util
import sys
from pathlib import Path

RUNNERS = Path(__file__).resolve().parents[1]
if str(RUNNERS) not in sys.path:
    sys.path.insert(0, str(RUNNERS))

for folder in RUNNERS.iterdir():
    if folder.is_dir() and not (folder / "__init__.py").exists() and folder.name not in sys.modules:
        spec = importlib.util.find_spec(folder.name)
        if spec is not None and spec.origin is None and all(Path(p).parent == RUNNERS for p in spec.submodule_search_locations or []):
            sys.modules[folder.name] = None  # not installed: `import` raises ImportError
