"""Writers for chains and results, and the atomic file write they all use."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import OutputError

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then a rename.

    An interrupted write never leaves a half-written file and never destroys the previous one.

    Raises
    ------
    OutputError
        When the folder does not exist or cannot be written.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        msg = f"cannot write {target}: folder '{folder}' does not exist; create it first"
        raise OutputError(msg)
    if target.is_dir():
        msg = f"cannot write {target}: it is a folder; give a file name"
        raise OutputError(msg)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        msg = f"cannot write {target}: {exc.strerror}"
        raise OutputError(msg) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                Path(tmp).chmod(target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        msg = f"cannot write {target}: {exc.strerror}"
        raise OutputError(msg) from None
    return target
