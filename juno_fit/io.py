"""Input/output helpers. Outputs are written atomically: to a temporary file in the target's folder,
then renamed over the target, so an interrupted or failed write never leaves a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import DataError


@contextlib.contextmanager
def atomic_output(path: str | Path, *, force: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``, on error delete it.

    With ``force=False`` an existing ``path`` is an error (DataError) and nothing is written.
    """
    target = Path(path)
    if not force and target.exists():
        raise DataError(f"{target}: exists; pass --force to overwrite")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
