"""Downloads the real data sets into the data folder, sha256-verified:

    PYTHONPATH=runners/lib python -m rosetta.download [--data-dir data] [--only cifar10|imdb]

Each file is written to a temporary file in the same folder and renamed into place only after its
hash matches; on any failure the partial file is deleted, so a data file present is a verified one.
Without these files the runners use synthetic stand-ins (and say so in their results).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .sources import SOURCES, Source, sha256_file

TIMEOUT_S = 60


class DownloadError(RuntimeError):
    pass


def fetch(url: str, dest: Path, sha256: str, *, opener: Callable[[str], BinaryIO] | None = None) -> None:
    """Streams url to dest through a temporary file beside it; renames only if the sha256 matches.
    Leaves dest untouched and nothing else behind on failure (raises DownloadError)."""
    opener = opener or (lambda u: urllib.request.urlopen(u, timeout=TIMEOUT_S))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, opener(url) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise DownloadError(f"{url} has sha256 {digest.hexdigest()}, expected {sha256}")
        os.replace(tmp, dest)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, DownloadError):
            raise
        if isinstance(error, Exception):
            raise DownloadError(f"{url}: {type(error).__name__}: {error}") from error
        raise


def ensure(source: Source, data_dir: Path, *, opener: Callable[[str], BinaryIO] | None = None) -> Path:
    """The verified file for source in data_dir, downloading it if absent or wrong."""
    dest = data_dir / source.file
    if dest.is_file() and sha256_file(dest) == source.sha256:
        print(f"{source.name}: {dest} is present and verified")
        return dest
    print(f"{source.name}: downloading {source.url} to {dest} ...")
    fetch(source.url, dest, source.sha256, opener=opener)
    print(f"{source.name}: {dest} verified (sha256 {source.sha256})")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rosetta.download", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder (default: data)")
    parser.add_argument("--only", choices=sorted(SOURCES), action="append", help="only this data set (repeatable)")
    args = parser.parse_args(argv)
    failed = 0
    for key in args.only or sorted(SOURCES):
        source = SOURCES[key]
        try:
            ensure(source, args.data_dir)
        except DownloadError as error:
            failed += 1
            print(f"{source.name}: download failed: {error}\n"
                  f"  Nothing was written to {args.data_dir / source.file}. Check the network and run this command "
                  f"again, or fetch {source.url} by other means, check that its sha256 is {source.sha256}, and put "
                  f"it at {args.data_dir / source.file}. Until then the runners use a synthetic stand-in.",
                  file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
